//! NIfTI-1 and NIfTI-2 files (`.nii`, `.nii.gz`) as [`Volume`]s, and label maps as
//! [`Mask`]s.
//!
//! The reader is medprep's own: the `nifti` crate brings nalgebra and reads NIfTI-2 only
//! partly, and what matters here is small (one header, one block of voxels) but must
//! follow one reference exactly: the grid is placed as SimpleITK (ITK's `NiftiImageIO`)
//! places it, so a volume read here lies where `sitk.ReadImage` puts it.
//!
//! # Reading
//! - Gzip is detected by its magic bytes, not by the file name. The header size
//!   (`sizeof_hdr`, 348 or 540) tells NIfTI-1 from NIfTI-2 and the byte order; the magic
//!   must be `n+1` / `n+2` (single-file NIfTI; Analyze 7.5 and `.hdr`/`.img` pairs are
//!   refused).
//! - Datatypes uint8 to uint64, int8 to int64, float32 and float64; anything else is
//!   [`NiftiError::Unsupported`]. Values become f32 after `scl_slope`/`scl_inter`, which
//!   apply when the slope is finite and non-zero (the NIfTI standard and nibabel; ITK also
//!   adds the intercept when the slope is 0).
//! - A 4-D file (`dim[4] > 1`) gives one volume per time point; dimensions 5 to 7 above 1
//!   (vector and tensor images) are refused. Sizes are checked against
//!   [`Limits::max_samples`] before anything is allocated.
//!
//! # Geometry (ITK's rule)
//! The qform (quaternion, `pixdim[0]` as qfac, offsets) is used when `qform_code > 0`,
//! the sform (`srow_*`) when `sform_code > 0`. With both codes unknown the origin is 0
//! and the direction the identity. Otherwise the sform wins when it is orthonormal once
//! its columns are normalised (within 1e-4) and either the qform is unknown, or
//! `sform_code` is 1 (scanner anatomical), or both are known and describe the same space
//! (3×3 part and offset within 1e-4; ITK compares the two through their singular value
//! decompositions, which also counts as "the same" a sform that only flips index axes of
//! the qform; medprep takes the qform there). A sform that is not orthonormal still wins
//! when it agrees with the qform element by element (within 1e-5); else the qform is used,
//! and without a qform the file is refused ([`NiftiError::NotOrthonormal`]).
//!
//! The chosen matrix maps indices to RAS; LPS negates its first two rows. The origin is
//! its translation, the direction its normalised columns, the spacing `|pixdim[1..3]|`
//! (0 read as 1; a negative pixdim flips its axis, as ITK's reader does), with origin and
//! spacing in mm through `xyzt_units` (metres and microns are converted, as ITK does).
//!
//! # Writing
//! [`write_nifti`] writes NIfTI-1 float32 ([`write_nifti_mask`]: uint8 0/1), gzipped when
//! the name ends in `.gz`, with qform and sform both set (code 1, scanner anatomical) to
//! the same grid, so nibabel (which prefers the sform) and ITK read the same geometry.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::mask_error::{checked_len, describe, MaskError};
use super::{Grid, Mask, Volume};
use crate::Limits;

/// How far (mm; directions a thousandth of it) a label map's grid may lie from the
/// image's: NIfTI stores geometry in float32, so a grid written by another tool comes back
/// rounded to about 1e-5 mm at 300 mm from the origin.
pub const GRID_TOLERANCE: f64 = 1e-3;

/// More distinct values than this and a file is not a label map.
const MAX_LABELS: usize = 10_000;

/// Why a NIfTI file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NiftiError {
    /// The file could not be opened, read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a single-file NIfTI-1 or NIfTI-2 image.
    #[error("not a NIfTI file: {0}")]
    NotNifti(String),
    /// The file ends before the header or the voxels do.
    #[error("truncated: the {what} needs {needed} bytes but the file holds {got}")]
    Truncated {
        /// The header, or the voxel data.
        what: &'static str,
        /// Bytes the header says are there (from the start of the file).
        needed: u64,
        /// Bytes there are.
        got: u64,
    },
    /// A header field that makes no image.
    #[error("invalid header: {0}")]
    Header(String),
    /// A header field that should be a number is NaN or infinite.
    #[error("invalid header: {field} is {value}, not a finite number")]
    NonFinite {
        /// The field, as the NIfTI standard names it.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A well-formed file medprep does not read.
    #[error("unsupported NIfTI file: {0}")]
    Unsupported(String),
    /// The image would exceed [`Limits::max_samples`].
    #[error("the image holds {voxels} voxels, beyond the limit of {limit} (Limits::max_samples)")]
    TooLarge {
        /// Voxels of every time point together (saturated on overflow).
        voxels: u64,
        /// The limit.
        limit: u64,
    },
    /// Neither transform gives an orthonormal direction.
    #[error(
        "the sform is not orthonormal (shear or scaling beyond pixdim) and there is no \
         qform: the grid has no direction cosines"
    )]
    NotOrthonormal,
    /// The volume cannot be written as NIfTI-1.
    #[error("cannot write this volume as NIfTI: {0}")]
    Write(String),
    /// A label map's grid differs from the image's.
    #[error(
        "the label map's grid ({mask}) does not match the image's ({image}): the mask was \
         drawn on another grid; resample it onto the image first"
    )]
    GridMismatch {
        /// The label map's grid, described.
        mask: String,
        /// The image's grid, described.
        image: String,
    },
    /// The values are not labels (negative, fractional or too many distinct values).
    #[error("not a label map: {0}")]
    NotLabels(String),
    /// The label chosen is absent, several labels and none chosen, or an empty ROI.
    #[error(transparent)]
    Mask(#[from] MaskError),
}

/// Reads a NIfTI file with the default [`Limits`]: one volume, or one per time point.
pub fn read_nifti(path: impl AsRef<Path>) -> Result<Vec<Volume>, NiftiError> {
    read_nifti_with_limits(path, &Limits::default())
}

/// Reads a NIfTI file, refusing before allocation an image beyond `limits`.
pub fn read_nifti_with_limits(
    path: impl AsRef<Path>,
    limits: &Limits,
) -> Result<Vec<Volume>, NiftiError> {
    let image = Image::open(path.as_ref(), limits)?;
    Ok((0..image.time_points)
        .map(|t| Volume {
            grid: image.grid.clone(),
            voxels: image.decode(t, |v| v as f32),
        })
        .collect())
}

/// Reads label `label` of the label map at `path` as a mask on `like`, the image's grid
/// (which the label map's must match within [`GRID_TOLERANCE`]). With `label` None the map
/// must hold exactly one nonzero label; the mask is named by its number.
pub fn read_label_mask(
    path: impl AsRef<Path>,
    like: &Grid,
    label: Option<u32>,
) -> Result<Mask, NiftiError> {
    let image = Image::open(path.as_ref(), &Limits::default())?;
    if image.time_points > 1 {
        return Err(NiftiError::NotLabels(format!(
            "{} time points; a label map is one 3-D volume",
            image.time_points
        )));
    }
    if !image.grid.matches(like, GRID_TOLERANCE) {
        return Err(NiftiError::GridMismatch {
            mask: describe_grid(&image.grid),
            image: describe_grid(like),
        });
    }
    let values = image.decode(0, |v| v);
    let labels = labels(&values)?;
    let describe_all = || -> Vec<String> {
        labels
            .iter()
            .map(|&l| describe(i64::from(l), &l.to_string()))
            .collect()
    };
    let chosen = match label {
        Some(wanted) if labels.contains(&wanted) => wanted,
        Some(wanted) => {
            return Err(MaskError::NoSuchRoi {
                wanted: format!("number {wanted}"),
                available: describe_all(),
            }
            .into())
        }
        None => match labels[..] {
            [only] => only,
            [] => {
                return Err(MaskError::EmptyRoi {
                    roi: "any nonzero label".to_owned(),
                }
                .into())
            }
            _ => {
                return Err(MaskError::AmbiguousRoi {
                    wanted: "no label chosen, and the label map".to_owned(),
                    candidates: describe_all(),
                }
                .into())
            }
        },
    };
    let target = f64::from(chosen);
    Ok(Mask {
        grid: like.clone(),
        voxels: values.iter().map(|&v| v == target).collect(),
        roi: chosen.to_string(),
    })
}

/// Writes `volume` as NIfTI-1 float32 (gzipped when the name ends in `.gz`).
pub fn write_nifti(volume: &Volume, path: impl AsRef<Path>) -> Result<(), NiftiError> {
    let bytes: Vec<u8> = volume.voxels.iter().flat_map(|v| v.to_le_bytes()).collect();
    write(
        &volume.grid,
        volume.voxels.len(),
        DataType::F32,
        &bytes,
        path.as_ref(),
    )
}

/// Writes `mask` as NIfTI-1 uint8, 1 inside and 0 outside (gzipped when the name ends in
/// `.gz`).
pub fn write_nifti_mask(mask: &Mask, path: impl AsRef<Path>) -> Result<(), NiftiError> {
    let bytes: Vec<u8> = mask.voxels.iter().map(|&inside| u8::from(inside)).collect();
    write(
        &mask.grid,
        mask.voxels.len(),
        DataType::U8,
        &bytes,
        path.as_ref(),
    )
}

/// The distinct nonzero labels among `values`, ascending; values must be whole and
/// non-negative, and few.
fn labels(values: &[f64]) -> Result<Vec<u32>, NiftiError> {
    let mut seen = std::collections::BTreeSet::new();
    for &v in values {
        if v == 0.0 {
            continue;
        }
        if !(v.fract() == 0.0 && v > 0.0 && v <= f64::from(u32::MAX)) {
            return Err(NiftiError::NotLabels(format!(
                "it holds the value {v}; labels are whole numbers from 0 to {}",
                u32::MAX
            )));
        }
        // Whole and within u32 by the test above.
        seen.insert(v as u32);
        if seen.len() > MAX_LABELS {
            return Err(NiftiError::NotLabels(format!(
                "more than {MAX_LABELS} distinct values: an image, not labels"
            )));
        }
    }
    Ok(seen.into_iter().collect())
}

fn describe_grid(grid: &Grid) -> String {
    format!(
        "size {:?}, spacing {:?}, origin {:?}, direction {:?}",
        grid.size, grid.spacing, grid.origin, grid.direction
    )
}

/// The voxel types read (datatype codes of the NIfTI standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataType {
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl DataType {
    fn from_code(code: i32) -> Result<Self, NiftiError> {
        Ok(match code {
            2 => Self::U8,
            4 => Self::I16,
            8 => Self::I32,
            16 => Self::F32,
            64 => Self::F64,
            256 => Self::I8,
            512 => Self::U16,
            768 => Self::U32,
            1024 => Self::I64,
            1280 => Self::U64,
            other => {
                let name = match other {
                    1 => "binary",
                    32 => "complex64",
                    128 => "rgb24",
                    1536 => "float128",
                    1792 => "complex128",
                    2048 => "complex256",
                    2304 => "rgba32",
                    _ => "unknown",
                };
                return Err(NiftiError::Unsupported(format!(
                    "datatype {other} ({name}); medprep reads integers of 8 to 64 bits, \
                     float32 and float64"
                )));
            }
        })
    }

    fn code(self) -> i16 {
        match self {
            Self::U8 => 2,
            Self::I16 => 4,
            Self::I32 => 8,
            Self::F32 => 16,
            Self::F64 => 64,
            Self::I8 => 256,
            Self::U16 => 512,
            Self::U32 => 768,
            Self::I64 => 1024,
            Self::U64 => 1280,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::U8 | Self::I8 => 1,
            Self::I16 | Self::U16 => 2,
            Self::I32 | Self::U32 | Self::F32 => 4,
            Self::I64 | Self::U64 | Self::F64 => 8,
        }
    }

    /// The value of one stored sample (`raw` holds `self.bytes()` bytes).
    fn value(self, raw: &[u8], big_endian: bool) -> f64 {
        let mut b = [0u8; 8];
        let n = self.bytes();
        b[..n].copy_from_slice(&raw[..n]);
        if big_endian {
            b[..n].reverse();
        }
        let [b0, b1, b2, b3, ..] = b;
        match self {
            Self::U8 => f64::from(b0),
            Self::I8 => f64::from(b0 as i8),
            Self::I16 => f64::from(i16::from_le_bytes([b0, b1])),
            Self::U16 => f64::from(u16::from_le_bytes([b0, b1])),
            Self::I32 => f64::from(i32::from_le_bytes([b0, b1, b2, b3])),
            Self::U32 => f64::from(u32::from_le_bytes([b0, b1, b2, b3])),
            Self::F32 => f64::from(f32::from_le_bytes([b0, b1, b2, b3])),
            // 64-bit integers round to the nearest f64, as numpy's astype does.
            Self::I64 => i64::from_le_bytes(b) as f64,
            Self::U64 => u64::from_le_bytes(b) as f64,
            Self::F64 => f64::from_le_bytes(b),
        }
    }
}

/// The header fields medprep uses, from either version, widened to 64 bits.
#[derive(Debug, Clone)]
struct Header {
    /// 348 (NIfTI-1) or 540 (NIfTI-2).
    size: u64,
    big_endian: bool,
    dim: [i64; 8],
    datatype: i32,
    pixdim: [f64; 8],
    vox_offset: f64,
    scl_slope: f64,
    scl_inter: f64,
    xyzt_units: i32,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 3],
    qoffset: [f64; 3],
    srow: [[f64; 4]; 3],
}

/// Little- or big-endian field access to a header's bytes.
struct Fields<'a> {
    bytes: &'a [u8],
    big_endian: bool,
}

impl Fields<'_> {
    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[at..at + N]);
        if self.big_endian {
            out.reverse();
        }
        out
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.array(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.array(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.array(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f64::from(f32::from_le_bytes(self.array(at)))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.array(at))
    }
}

const NIFTI1_SIZE: usize = 348;
const NIFTI2_SIZE: usize = 540;
const NIFTI2_MAGIC: &[u8; 8] = b"n+2\0\r\n\x1a\n";

impl Header {
    /// Parses a header from its first bytes (`bytes` holds at least 348; 540 for NIfTI-2,
    /// else [`Header::needed`] says so).
    fn parse(bytes: &[u8]) -> Result<Self, NiftiError> {
        let size = Self::needed(bytes)?;
        let big_endian =
            i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize != size;
        if bytes.len() < size {
            return Err(NiftiError::Truncated {
                what: "header",
                needed: size as u64,
                got: bytes.len() as u64,
            });
        }
        let f = Fields { bytes, big_endian };
        if size == NIFTI1_SIZE {
            match &bytes[344..348] {
                b"n+1\0" => {}
                b"ni1\0" => {
                    return Err(NiftiError::Unsupported(
                        "a .hdr/.img pair (magic ni1); medprep reads single-file .nii".into(),
                    ))
                }
                other => {
                    return Err(NiftiError::NotNifti(format!(
                        "magic {:?} is not \"n+1\" (an Analyze 7.5 header?)",
                        String::from_utf8_lossy(other)
                    )))
                }
            }
            Ok(Self {
                size: size as u64,
                big_endian,
                dim: std::array::from_fn(|i| i64::from(f.i16(40 + 2 * i))),
                datatype: i32::from(f.i16(70)),
                pixdim: std::array::from_fn(|i| f.f32(76 + 4 * i)),
                vox_offset: f.f32(108),
                scl_slope: f.f32(112),
                scl_inter: f.f32(116),
                xyzt_units: i32::from(bytes[123]),
                qform_code: i32::from(f.i16(252)),
                sform_code: i32::from(f.i16(254)),
                quatern: std::array::from_fn(|i| f.f32(256 + 4 * i)),
                qoffset: std::array::from_fn(|i| f.f32(268 + 4 * i)),
                srow: std::array::from_fn(|r| std::array::from_fn(|c| f.f32(280 + 16 * r + 4 * c))),
            })
        } else {
            if &bytes[4..12] != NIFTI2_MAGIC {
                let why = if bytes[4..8] == NIFTI2_MAGIC[..4] {
                    "its line-ending bytes are altered (transferred as text?)"
                } else {
                    "the magic is not \"n+2\""
                };
                return Err(NiftiError::NotNifti(format!(
                    "a 540-byte header, but {why}"
                )));
            }
            Ok(Self {
                size: size as u64,
                big_endian,
                dim: std::array::from_fn(|i| f.i64(16 + 8 * i)),
                datatype: i32::from(f.i16(12)),
                pixdim: std::array::from_fn(|i| f.f64(104 + 8 * i)),
                // Integral in NIfTI-2; f64 holds every offset a file can have.
                vox_offset: f.i64(168) as f64,
                scl_slope: f.f64(176),
                scl_inter: f.f64(184),
                xyzt_units: f.i32(500),
                qform_code: f.i32(344),
                sform_code: f.i32(348),
                quatern: std::array::from_fn(|i| f.f64(352 + 8 * i)),
                qoffset: std::array::from_fn(|i| f.f64(376 + 8 * i)),
                srow: std::array::from_fn(|r| std::array::from_fn(|c| f.f64(400 + 32 * r + 8 * c))),
            })
        }
    }

    /// The header size announced by `sizeof_hdr` in the first four bytes (either byte
    /// order), once at least 348 bytes are at hand.
    fn needed(bytes: &[u8]) -> Result<usize, NiftiError> {
        if bytes.len() < NIFTI1_SIZE {
            return Err(NiftiError::Truncated {
                what: "header",
                needed: NIFTI1_SIZE as u64,
                got: bytes.len() as u64,
            });
        }
        let raw = [bytes[0], bytes[1], bytes[2], bytes[3]];
        let (le, be) = (i32::from_le_bytes(raw), i32::from_be_bytes(raw));
        [le, be]
            .into_iter()
            .find_map(|v| match v {
                348 => Some(NIFTI1_SIZE),
                540 => Some(NIFTI2_SIZE),
                _ => None,
            })
            .ok_or_else(|| {
                NiftiError::NotNifti(format!(
                    "sizeof_hdr is {le} (or {be} big-endian), not 348 (NIfTI-1) or 540 \
                     (NIfTI-2)"
                ))
            })
    }
}

/// A header checked and turned into a grid, with the voxel bytes still to decode.
struct Image {
    grid: Grid,
    time_points: usize,
    datatype: DataType,
    big_endian: bool,
    /// `(slope, intercept)` when the values are scaled.
    scale: Option<(f64, f64)>,
    raw: Vec<u8>,
}

impl Image {
    fn open(path: &Path, limits: &Limits) -> Result<Self, NiftiError> {
        // Opening a FIFO or a device would block or never end; only files are read.
        if !std::fs::metadata(path)?.is_file() {
            return Err(NiftiError::NotNifti(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let file = File::open(path)?;
        let on_disk = file.metadata()?.len();
        let mut reader = BufReader::new(file);
        let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        if gzip {
            // The decompressed length is unknown until read to the end.
            Self::read(MultiGzDecoder::new(reader), None, limits)
        } else {
            Self::read(reader, Some(on_disk), limits)
        }
    }

    /// Reads header and voxels from `input`, `len` bytes long when known. Nothing larger
    /// than the header is allocated before the header has passed every check.
    fn read(mut input: impl Read, len: Option<u64>, limits: &Limits) -> Result<Self, NiftiError> {
        let mut bytes = Vec::with_capacity(NIFTI2_SIZE);
        (&mut input)
            .take(NIFTI1_SIZE as u64)
            .read_to_end(&mut bytes)?;
        let size = Header::needed(&bytes)?;
        (&mut input)
            .take((size - NIFTI1_SIZE) as u64)
            .read_to_end(&mut bytes)?;
        let header = Header::parse(&bytes)?;
        let layout = Layout::check(&header, limits)?;
        let data_end = layout
            .data_bytes
            .checked_add(layout.offset)
            .ok_or_else(|| NiftiError::Header("vox_offset plus the data overflow".into()))?;
        if let Some(len) = len {
            if layout.offset > len {
                return Err(NiftiError::Header(format!(
                    "vox_offset {} lies beyond the end of the file ({len} bytes)",
                    layout.offset
                )));
            }
            if data_end > len {
                return Err(NiftiError::Truncated {
                    what: "voxel data",
                    needed: data_end,
                    got: len,
                });
            }
        }
        // Extensions between the header and the voxels are skipped.
        let skip = layout.offset - header.size;
        let skipped = std::io::copy(&mut (&mut input).take(skip), &mut std::io::sink())?;
        let mut raw = Vec::new();
        input.take(layout.data_bytes).read_to_end(&mut raw)?;
        if skipped < skip || (raw.len() as u64) < layout.data_bytes {
            let got = header.size + skipped + raw.len() as u64;
            return Err(if skipped < skip {
                NiftiError::Header(format!(
                    "vox_offset {} lies beyond the end of the data ({got} bytes)",
                    layout.offset
                ))
            } else {
                NiftiError::Truncated {
                    what: "voxel data",
                    needed: data_end,
                    got,
                }
            });
        }
        Ok(Self {
            grid: geometry(&header, layout.size)?,
            time_points: layout.time_points,
            datatype: layout.datatype,
            big_endian: header.big_endian,
            scale: scaling(&header)?,
            raw,
        })
    }

    /// The values (scaled) of time point `t`, through `convert`.
    fn decode<T>(&self, t: usize, convert: impl Fn(f64) -> T) -> Vec<T> {
        let (dt, be) = (self.datatype, self.big_endian);
        let len = self.grid.len() * dt.bytes();
        let raw = self.raw.get(t * len..(t + 1) * len).unwrap_or_default();
        let samples = raw.chunks_exact(dt.bytes()).map(|raw| dt.value(raw, be));
        match self.scale {
            Some((slope, inter)) => samples.map(|v| convert(v * slope + inter)).collect(),
            None => samples.map(convert).collect(),
        }
    }
}

/// Where the voxels are and how many: the header's sizes, checked.
struct Layout {
    size: [usize; 3],
    time_points: usize,
    datatype: DataType,
    offset: u64,
    data_bytes: u64,
}

impl Layout {
    fn check(header: &Header, limits: &Limits) -> Result<Self, NiftiError> {
        let ndim = header.dim[0];
        if !(1..=7).contains(&ndim) {
            return Err(NiftiError::Header(format!(
                "dim[0] is {ndim}; the number of dimensions must be 1 to 7"
            )));
        }
        // Dimensions beyond dim[0] are 1, whatever the header holds there.
        let mut dims = [1u64; 8];
        for (i, slot) in dims.iter_mut().enumerate().take(ndim as usize + 1).skip(1) {
            let d = header.dim[i];
            if d < 1 {
                return Err(NiftiError::Header(format!(
                    "dim[{i}] is {d}; every dimension must hold at least one voxel"
                )));
            }
            *slot = d as u64;
        }
        if let Some(i) = (5..=7).find(|&i| dims[i] > 1) {
            return Err(NiftiError::Unsupported(format!(
                "dim[{i}] is {}: vector, tensor or 5-D+ images are not scan volumes",
                dims[i]
            )));
        }
        let datatype = DataType::from_code(header.datatype)?;
        let voxels = dims[1..=4].iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        let voxels = match voxels {
            Some(v) if v <= limits.max_samples => v,
            _ => {
                return Err(NiftiError::TooLarge {
                    voxels: voxels.unwrap_or(u64::MAX),
                    limit: limits.max_samples,
                })
            }
        };
        let offset = header.vox_offset;
        if !offset.is_finite() {
            return Err(NiftiError::NonFinite {
                field: "vox_offset",
                value: offset,
            });
        }
        if offset.fract() != 0.0 || offset < header.size as f64 {
            return Err(NiftiError::Header(format!(
                "vox_offset is {offset}; the voxels start at a whole byte at or after the \
                 {}-byte header",
                header.size
            )));
        }
        // Within limits, so each fits usize on any platform that could hold them.
        let to_usize = |d: u64| {
            usize::try_from(d).map_err(|_| NiftiError::TooLarge {
                voxels,
                limit: limits.max_samples,
            })
        };
        Ok(Self {
            size: [to_usize(dims[1])?, to_usize(dims[2])?, to_usize(dims[3])?],
            time_points: to_usize(dims[4])?,
            datatype,
            // Whole and at least the header size; f64 to u64 saturates beyond.
            offset: offset as u64,
            data_bytes: voxels * datatype.bytes() as u64,
        })
    }
}

/// `(slope, intercept)` when the header scales its values: a finite, nonzero slope.
fn scaling(header: &Header) -> Result<Option<(f64, f64)>, NiftiError> {
    let (slope, inter) = (header.scl_slope, header.scl_inter);
    if !(slope.is_finite() && slope != 0.0) {
        return Ok(None);
    }
    if !inter.is_finite() {
        return Err(NiftiError::NonFinite {
            field: "scl_inter",
            value: inter,
        });
    }
    Ok(Some((slope, inter)))
}

/// A 4×4 affine's top three rows.
type Affine = [[f64; 4]; 3];

/// The grid of a checked header, by ITK's rule (module documentation).
fn geometry(header: &Header, size: [usize; 3]) -> Result<Grid, NiftiError> {
    const PIXDIM: [&str; 4] = ["pixdim[0]", "pixdim[1]", "pixdim[2]", "pixdim[3]"];
    let mut pixdim = [1.0; 3];
    for (axis, d) in pixdim.iter_mut().enumerate() {
        let value = header.pixdim[axis + 1];
        if !value.is_finite() {
            return Err(NiftiError::NonFinite {
                field: PIXDIM[axis + 1],
                value,
            });
        }
        if value != 0.0 {
            *d = value;
        }
    }
    let unit = match header.xyzt_units & 7 {
        1 => 1000.0, // metres
        3 => 1e-3,   // microns
        _ => 1.0,    // mm, or unknown
    };
    let Some(matrix) = chosen_matrix(header, pixdim)? else {
        return Ok(Grid {
            size,
            spacing: pixdim.map(|d| d.abs() * unit),
            origin: [0.0; 3],
            direction: flip_negative(Grid::IDENTITY, pixdim),
        });
    };
    if matrix.iter().flatten().any(|v| !v.is_finite()) {
        return Err(NiftiError::NonFinite {
            field: "the chosen qform or sform",
            value: f64::NAN,
        });
    }
    // RAS to LPS: negate the first two rows.
    let lps = |r: usize, c: usize| if r < 2 { -matrix[r][c] } else { matrix[r][c] };
    let mut direction = [0.0; 9];
    for c in 0..3 {
        let norm = (0..3).map(|r| lps(r, c).powi(2)).sum::<f64>().sqrt();
        for r in 0..3 {
            direction[3 * r + c] = if norm > 0.0 { lps(r, c) / norm } else { 0.0 };
        }
    }
    Ok(Grid {
        size,
        spacing: pixdim.map(|d| d.abs() * unit),
        origin: [lps(0, 3) * unit, lps(1, 3) * unit, lps(2, 3) * unit],
        direction: flip_negative(direction, pixdim),
    })
}

/// ITK's reader turns a negative spacing positive and flips that axis's direction.
fn flip_negative(mut direction: [f64; 9], pixdim: [f64; 3]) -> [f64; 9] {
    for (c, d) in pixdim.iter().enumerate() {
        if *d < 0.0 {
            for r in 0..3 {
                direction[3 * r + c] = -direction[3 * r + c];
            }
        }
    }
    direction
}

/// The qform or sform ITK places the grid with; None when neither code is known.
fn chosen_matrix(header: &Header, pixdim: [f64; 3]) -> Result<Option<Affine>, NiftiError> {
    let q_known = header.qform_code > 0;
    let s_known = header.sform_code > 0;
    if !q_known && !s_known {
        return Ok(None);
    }
    let qform = if q_known {
        quaternion_affine(header, pixdim)
    } else {
        // As niftilib fills it without a qform: the spacings on the diagonal.
        [
            [pixdim[0], 0.0, 0.0, 0.0],
            [0.0, pixdim[1], 0.0, 0.0],
            [0.0, 0.0, pixdim[2], 0.0],
        ]
    };
    if !s_known {
        return Ok(Some(qform));
    }
    let sform = header.srow;
    let close = |tol3: f64, tol_offset: f64| {
        let linear = (0..3).all(|r| (0..3).all(|c| (sform[r][c] - qform[r][c]).abs() <= tol3));
        let offset: f64 = (0..3).map(|r| (sform[r][3] - qform[r][3]).abs()).sum();
        linear && offset <= tol_offset
    };
    // ITK's first test, element by element; enough for the sform even when skewed.
    let mut prefer_sform = close(1e-5, 1e-7);
    if orthonormal(&sform) {
        if !q_known || header.sform_code == 1 {
            prefer_sform = true;
        } else {
            let offset_close = (0..3).all(|r| (sform[r][3] - qform[r][3]).abs() <= 1e-4);
            prefer_sform = close(1e-4, f64::INFINITY) && offset_close;
        }
    }
    if prefer_sform {
        Ok(Some(sform))
    } else if q_known {
        Ok(Some(qform))
    } else {
        Err(NiftiError::NotOrthonormal)
    }
}

/// Whether the sform's 3×3 part, its columns normalised, is orthonormal (R·Rᵀ within
/// 1e-4 of the identity) and invertible.
fn orthonormal(m: &Affine) -> bool {
    let mut r = [[0.0; 3]; 3];
    for c in 0..3 {
        let norm = (0..3).map(|i| m[i][c].powi(2)).sum::<f64>().sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            return false;
        }
        for i in 0..3 {
            r[i][c] = m[i][c] / norm;
        }
    }
    (0..3).all(|i| {
        (0..3).all(|j| {
            let dot: f64 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
            (dot - if i == j { 1.0 } else { 0.0 }).abs() <= 1e-4
        })
    })
}

/// The qform's affine: the rotation of quaternion (b, c, d) (a ≥ 0 completing it to a unit
/// quaternion), the third column negated when qfac (`pixdim[0]`) is negative, columns
/// scaled by the spacings (non-positive ones as 1, as niftilib does), then the offsets.
fn quaternion_affine(header: &Header, pixdim: [f64; 3]) -> Affine {
    let [mut b, mut c, mut d] = header.quatern;
    let sum = b * b + c * c + d * d;
    let a = if 1.0 - sum < 1e-7 {
        // A 180° rotation (or a quaternion beyond unit length): a is 0 and (b, c, d) is
        // renormalised.
        let norm = sum.sqrt();
        if norm > 0.0 {
            (b, c, d) = (b / norm, c / norm, d / norm);
        }
        0.0
    } else {
        (1.0 - sum).sqrt()
    };
    let rotation = [
        [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c),
        ],
        [
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b),
        ],
        [
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            a * a + d * d - c * c - b * b,
        ],
    ];
    let mut scale = pixdim.map(|s| if s > 0.0 { s } else { 1.0 });
    if header.pixdim[0] < 0.0 {
        scale[2] = -scale[2];
    }
    std::array::from_fn(|r| {
        [
            rotation[r][0] * scale[0],
            rotation[r][1] * scale[1],
            rotation[r][2] * scale[2],
            header.qoffset[r],
        ]
    })
}

/// The unit quaternion (b, c, d; a ≥ 0) of a proper rotation, the inverse of the rotation
/// in [`quaternion_affine`].
fn rotation_quaternion(r: [[f64; 3]; 3]) -> [f64; 3] {
    let trace = r[0][0] + r[1][1] + r[2][2];
    let (a, b, c, d) = if trace > -0.5 {
        let a = 0.5 * (1.0 + trace).sqrt();
        (
            a,
            0.25 * (r[2][1] - r[1][2]) / a,
            0.25 * (r[0][2] - r[2][0]) / a,
            0.25 * (r[1][0] - r[0][1]) / a,
        )
    } else {
        // Near a half turn a is small: start from the largest of b, c, d.
        let diagonal = [
            1.0 + r[0][0] - r[1][1] - r[2][2],
            1.0 + r[1][1] - r[0][0] - r[2][2],
            1.0 + r[2][2] - r[0][0] - r[1][1],
        ];
        if diagonal[0] >= diagonal[1] && diagonal[0] >= diagonal[2] {
            let b = 0.5 * diagonal[0].sqrt();
            (
                0.25 * (r[2][1] - r[1][2]) / b,
                b,
                0.25 * (r[0][1] + r[1][0]) / b,
                0.25 * (r[0][2] + r[2][0]) / b,
            )
        } else if diagonal[1] >= diagonal[2] {
            let c = 0.5 * diagonal[1].sqrt();
            (
                0.25 * (r[0][2] - r[2][0]) / c,
                0.25 * (r[0][1] + r[1][0]) / c,
                c,
                0.25 * (r[1][2] + r[2][1]) / c,
            )
        } else {
            let d = 0.5 * diagonal[2].sqrt();
            (
                0.25 * (r[1][0] - r[0][1]) / d,
                0.25 * (r[0][2] + r[2][0]) / d,
                0.25 * (r[1][2] + r[2][1]) / d,
                d,
            )
        }
    };
    let norm = (a * a + b * b + c * c + d * d).sqrt();
    let sign = if a < 0.0 { -1.0 } else { 1.0 } / norm;
    [b * sign, c * sign, d * sign]
}

/// Writes a NIfTI-1 file of `len` samples of `datatype` (`data`, little-endian) on `grid`.
fn write(
    grid: &Grid,
    len: usize,
    datatype: DataType,
    data: &[u8],
    path: &Path,
) -> Result<(), NiftiError> {
    let header = header_bytes(grid, len, datatype)?;
    let file = BufWriter::new(File::create(path)?);
    let gzip = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".gz"));
    if gzip {
        let mut out = GzEncoder::new(file, flate2::Compression::default());
        out.write_all(&header)?;
        out.write_all(data)?;
        out.finish()?.flush()?;
    } else {
        let mut out = file;
        out.write_all(&header)?;
        out.write_all(data)?;
        out.flush()?;
    }
    Ok(())
}

/// The 348-byte header and the 4-byte empty extension flag (voxels at offset 352).
fn header_bytes(grid: &Grid, len: usize, datatype: DataType) -> Result<Vec<u8>, NiftiError> {
    if len != grid.len() {
        return Err(NiftiError::Write(format!(
            "{len} voxels for a grid of {:?}",
            grid.size
        )));
    }
    // The checks of a grid a mask can be placed on hold for any volume written.
    checked_len(grid).map_err(|e| match e {
        MaskError::InvalidGrid(why) => NiftiError::Write(why),
        other => NiftiError::Write(other.to_string()),
    })?;
    let mut dim = [1i16; 8];
    dim[0] = 3;
    for (axis, &n) in grid.size.iter().enumerate() {
        dim[axis + 1] = i16::try_from(n).ok().filter(|&d| d >= 1).ok_or_else(|| {
            NiftiError::Write(format!(
                "{n} voxels along axis {axis}; NIfTI-1 holds 1 to {}",
                i16::MAX
            ))
        })?;
    }
    // LPS to RAS: negate the first two rows of the direction and of the origin.
    let ras = |r: usize, c: usize| {
        let v = grid.direction[3 * r + c];
        if r < 2 {
            -v
        } else {
            v
        }
    };
    let origin = [-grid.origin[0], -grid.origin[1], grid.origin[2]];
    let mut rotation: [[f64; 3]; 3] = std::array::from_fn(|r| std::array::from_fn(|c| ras(r, c)));
    let det = rotation[0][0] * (rotation[1][1] * rotation[2][2] - rotation[1][2] * rotation[2][1])
        - rotation[0][1] * (rotation[1][0] * rotation[2][2] - rotation[1][2] * rotation[2][0])
        + rotation[0][2] * (rotation[1][0] * rotation[2][1] - rotation[1][1] * rotation[2][0]);
    // A left-handed grid is a proper rotation with its third axis negated (qfac -1).
    let qfac = if det < 0.0 { -1.0f32 } else { 1.0 };
    if det < 0.0 {
        for row in &mut rotation {
            row[2] = -row[2];
        }
    }
    let quatern = rotation_quaternion(rotation);

    let mut h = vec![0u8; NIFTI1_SIZE + 4];
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(NIFTI1_SIZE as i32).to_le_bytes());
    for (i, d) in dim.iter().enumerate() {
        put(40 + 2 * i, &d.to_le_bytes());
    }
    put(70, &datatype.code().to_le_bytes());
    put(72, &((datatype.bytes() * 8) as i16).to_le_bytes());
    let mut pixdim = [1.0f32; 8];
    pixdim[0] = qfac;
    for axis in 0..3 {
        pixdim[axis + 1] = grid.spacing[axis] as f32;
    }
    for (i, p) in pixdim.iter().enumerate() {
        put(76 + 4 * i, &p.to_le_bytes());
    }
    put(108, &((NIFTI1_SIZE + 4) as f32).to_le_bytes());
    put(112, &1.0f32.to_le_bytes());
    // mm and seconds.
    put(123, &[2 | 8]);
    put(148, b"medprep");
    put(252, &1i16.to_le_bytes());
    put(254, &1i16.to_le_bytes());
    for (i, (q, o)) in quatern.iter().zip(&origin).enumerate() {
        put(256 + 4 * i, &(*q as f32).to_le_bytes());
        put(268 + 4 * i, &(*o as f32).to_le_bytes());
        for (c, s) in grid.spacing.iter().enumerate() {
            put(
                280 + 16 * i + 4 * c,
                &((ras(i, c) * s) as f32).to_le_bytes(),
            );
        }
        put(280 + 16 * i + 12, &(*o as f32).to_le_bytes());
    }
    put(344, b"n+1\0");
    Ok(h)
}

#[cfg(test)]
mod tests;
