//! DICOM series → [`Volume`]: grouping slice files into scans and stacking them on a grid.
//!
//! A user's unit of work is a scan, but DICOM stores a CT or MR scan as one file per
//! slice, often in a folder that also holds a localizer, a second series or a structure
//! set. This module does what SimpleITK's `ImageSeriesReader` (through GDCM) and
//! pyradiomics users otherwise do by hand, and gets right what they trip on:
//!
//! - [`group`] sorts headers into series by Series Instance UID, Frame of Reference UID,
//!   orientation and Rows×Columns, splitting off localizers, without reading pixel data;
//! - [`assemble`] orders a group's slices by their position projected on the slice normal
//!   (never by Instance Number or file name, which scanners and anonymisers scramble),
//!   takes the z spacing from those positions (never from Slice Thickness, which is the
//!   reconstructed slab, not the distance between slices), refuses what a regular grid
//!   cannot hold (missing slices, uneven spacing, two slices at one position) rather than
//!   silently stretching it, and then loads the pixels one slice at a time.
//!
//! The grid follows ITK's reading of a series, so volumes agree with SimpleITK: origin
//! the Image Position (Patient) of the first slice in z order, direction columns the row
//! cosines, the column cosines and their cross product, spacing (column spacing, row
//! spacing, z step). A gantry-tilted stack is kept as ITK keeps it (the slices are not
//! resampled onto a sheared grid) with a warning that names the tilt.
//!
//! Enhanced multi-frame images (one file, per-frame Plane Position and Plane Orientation
//! functional groups) are volumes too; several temporal positions in one file become one
//! [`Series`] per time point.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use dicom_object::InMemDicomObject;

use super::{Grid, Volume};
use crate::decode::attributes::{self as attr, DataSetExt};
use crate::decode::functional_groups::frame_item;
use crate::decode::geometry::Geometry;
use crate::decode::metadata::number_of_frames;
use crate::error::{Attribute, Error, ErrorKind};
use crate::{DicomFile, Frames, Limits, Metadata};

#[cfg(test)]
mod tests;

const FRAME_OF_REFERENCE_UID: Attribute = Attribute {
    keyword: "FrameOfReferenceUID",
    tag: (0x0020, 0x0052),
};
const IMAGE_TYPE: Attribute = Attribute {
    keyword: "ImageType",
    tag: (0x0008, 0x0008),
};
const SERIES_DESCRIPTION: Attribute = Attribute {
    keyword: "SeriesDescription",
    tag: (0x0008, 0x103E),
};
const BODY_PART_EXAMINED: Attribute = Attribute {
    keyword: "BodyPartExamined",
    tag: (0x0018, 0x0015),
};
const MANUFACTURER: Attribute = Attribute {
    keyword: "Manufacturer",
    tag: (0x0008, 0x0070),
};
const REPETITION_TIME: Attribute = Attribute {
    keyword: "RepetitionTime",
    tag: (0x0018, 0x0080),
};
const ECHO_TIME: Attribute = Attribute {
    keyword: "EchoTime",
    tag: (0x0018, 0x0081),
};
const MAGNETIC_FIELD_STRENGTH: Attribute = Attribute {
    keyword: "MagneticFieldStrength",
    tag: (0x0018, 0x0087),
};
const TEMPORAL_POSITION_IDENTIFIER: Attribute = Attribute {
    keyword: "TemporalPositionIdentifier",
    tag: (0x0020, 0x0100),
};
const FRAME_CONTENT_SEQUENCE: Attribute = Attribute {
    keyword: "FrameContentSequence",
    tag: (0x0020, 0x9111),
};
const TEMPORAL_POSITION_INDEX: Attribute = Attribute {
    keyword: "TemporalPositionIndex",
    tag: (0x0020, 0x9128),
};

const RT_STRUCTURE_SET_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.481.3";
const SEGMENTATION_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.66.4";

/// Orientations whose cosines differ by no more than this are the same orientation: DS
/// values carry at most 16 characters, so one orientation written by two slices can
/// differ in the last digits, while a real change of orientation is far larger.
const ORIENTATION_TOLERANCE: f64 = 1e-4;
/// How far from unit length and orthogonality Image Orientation (Patient) may be.
const ORTHONORMAL_TOLERANCE: f64 = 1e-3;
/// Slices closer than this along the normal (mm) are at the same position.
const SAME_POSITION_MM: f64 = 1e-3;
/// Spacing may vary by this fraction of the median step, or [`UNEVEN_MM`], whichever is
/// larger, before a regular grid misplaces slices (DS rounding alone stays far below).
const UNEVEN_FRACTION: f64 = 0.01;
/// The absolute floor of the spacing tolerance, in mm.
const UNEVEN_MM: f64 = 0.01;
/// A gap of at least this many median steps can be slices missing.
const MISSING_MIN_RATIO: f64 = 1.5;
/// How close (in steps) a gap must be to a whole number of steps to be missing slices.
const MISSING_RATIO_TOLERANCE: f64 = 0.1;
/// A perpendicular drift of the slice origins beyond this (mm) is a gantry tilt.
const TILT_MM: f64 = 0.01;

/// What a DICOM object is to series mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An image: a slice of a series, or an enhanced multi-frame volume.
    Image,
    /// An RT Structure Set: contours, read as masks.
    RtStruct,
    /// A Segmentation: segments, read as masks.
    Seg,
}

/// What a DICOM object is to series mode, by SOP Class UID (RT Structure Set
/// 1.2.840.10008.5.1.4.1.1.481.3, Segmentation 1.2.840.10008.5.1.4.1.1.66.4), else by
/// Modality RTSTRUCT or SEG; anything else is an image.
pub fn role(file: &DicomFile) -> Role {
    let obj = file.object();
    match obj.text(attr::SOP_CLASS_UID).as_deref() {
        Some(RT_STRUCTURE_SET_STORAGE) => return Role::RtStruct,
        Some(SEGMENTATION_STORAGE) => return Role::Seg,
        _ => {}
    }
    match obj.text(attr::MODALITY).as_deref() {
        Some("RTSTRUCT") => Role::RtStruct,
        Some("SEG") => Role::Seg,
        _ => Role::Image,
    }
}

/// Why a series could not be grouped or assembled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SeriesError {
    /// A file could not be read or decoded.
    #[error("{0}")]
    Decode(#[from] Error),
    /// The group holds no image.
    #[error("the series holds no image")]
    Empty,
    /// A slice of a series of several lacks an attribute that places it in space.
    #[error(
        "{file}: missing {attribute}, which a series of several slices needs to place \
         each slice in space; read the file on its own (DicomFile::image) instead"
    )]
    MissingGeometry {
        /// The file.
        file: String,
        /// The missing attribute.
        attribute: Attribute,
    },
    /// Image Orientation (Patient) is not two orthogonal unit vectors.
    #[error(
        "{file}: ImageOrientationPatient {value:?} is not two orthogonal unit vectors, so \
         the slice normal is undefined; the header is corrupt"
    )]
    InvalidOrientation {
        /// The file.
        file: String,
        /// The six cosines as written.
        value: [f64; 6],
    },
    /// Slices of one group have different orientations.
    #[error(
        "{file} is oriented differently from {first}: the slices do not make one volume; \
         group the files with series::group, which separates orientations"
    )]
    MixedOrientation {
        /// The first slice.
        first: String,
        /// The slice that differs.
        file: String,
    },
    /// Slices of one group have different pixel spacings.
    #[error(
        "{file} has PixelSpacing {found:?} mm but {first} has {expected:?} mm: the slices \
         do not make one regular grid"
    )]
    MixedPixelSpacing {
        /// The first slice.
        first: String,
        /// Its spacing, (row, column) as in the header.
        expected: [f64; 2],
        /// The slice that differs.
        file: String,
        /// Its spacing.
        found: [f64; 2],
    },
    /// Two different slices lie at the same position.
    #[error(
        "{first} and {second} are two different slices at the same position \
         ({position:.3} mm along the slice normal); remove the extra file, or read them \
         as separate series"
    )]
    DuplicatePosition {
        /// One slice.
        first: String,
        /// The other.
        second: String,
        /// Their position along the slice normal, mm.
        position: f64,
    },
    /// Gaps of whole multiples of the slice step: slices are missing.
    #[error(
        "slices are missing (step {step:.4} mm): {}; a regular grid would stretch the \
         volume across the gap, so find the missing files or read the pieces as separate \
         series",
        describe_gaps(.gaps)
    )]
    MissingSlices {
        /// The median distance between slices, mm.
        step: f64,
        /// Where slices are missing.
        gaps: Vec<Gap>,
    },
    /// Slice steps vary beyond what a regular grid can hold faithfully.
    #[error(
        "uneven slice spacing: steps from {min:.4} to {max:.4} mm (median {median:.4} mm), \
         beyond 1 % of the median (or 0.01 mm); a regular grid cannot place these slices \
         faithfully: resample the series with a tool that reads each slice's position"
    )]
    UnevenSpacing {
        /// Smallest step, mm.
        min: f64,
        /// Largest step, mm.
        max: f64,
        /// Median step, mm.
        median: f64,
    },
    /// A colour image is not a scan.
    #[error("{file}: SamplesPerPixel is {samples}: colour images do not make a scan volume")]
    Colour {
        /// The file.
        file: String,
        /// Its Samples per Pixel.
        samples: u16,
    },
    /// A multi-frame file does not say where each frame lies.
    #[error(
        "{file}: NumberOfFrames is {frames} but PerFrameFunctionalGroupsSequence places \
         {planes} of them; a multi-frame image is a volume only with per-frame Plane \
         Position (Patient)"
    )]
    FramePositions {
        /// The file.
        file: String,
        /// Number of Frames.
        frames: u32,
        /// Frames with a per-frame functional groups item.
        planes: usize,
    },
    /// The pixel data loaded does not match the header grouped.
    #[error("{file}: {reason}, unlike its header when the series was grouped; group it again")]
    SliceChanged {
        /// The file.
        file: String,
        /// What differs.
        reason: String,
    },
    /// The volume would exceed [`Limits::max_samples`].
    #[error(
        "the series holds {voxels} voxels, beyond the limit of {limit} \
         (Limits::max_samples); raise the limit if this series is expected"
    )]
    TooLarge {
        /// Voxels of every time point together.
        voxels: u64,
        /// The limit.
        limit: u64,
    },
}

/// Where slices are missing: between two positions along the slice normal.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// Position of the slice before the gap, mm along the normal.
    pub after: f64,
    /// Position of the slice after the gap.
    pub before: f64,
    /// About how many slices are missing.
    pub missing: usize,
}

fn describe_gaps(gaps: &[Gap]) -> String {
    let mut text = String::new();
    for (i, gap) in gaps.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(
            text,
            "{sep}{} between {:.3} mm and {:.3} mm",
            gap.missing, gap.after, gap.before
        );
    }
    text
}

/// One plane of a file: the whole of a single-frame file, or one frame of a multi-frame one.
#[derive(Debug, Clone)]
struct Plane {
    frame: u32,
    position: Option<[f64; 3]>,
    orientation: Option<[f64; 6]>,
    temporal: Option<u32>,
}

/// What grouping and assembly need of one file's header.
#[derive(Debug, Clone)]
struct Header {
    name: String,
    series_uid: Option<String>,
    frame_of_reference: Option<String>,
    sop_instance_uid: Option<String>,
    rows: u16,
    cols: u16,
    frames: u32,
    samples_per_pixel: u16,
    pixel_spacing: Option<[f64; 2]>,
    slice_thickness: Option<f64>,
    localizer: bool,
    planes: Vec<Plane>,
}

impl Header {
    fn read(file: &DicomFile) -> Result<Self, ErrorKind> {
        let obj = file.object();
        let rows = obj
            .u16_of(attr::ROWS)?
            .ok_or(ErrorKind::MissingAttribute(attr::ROWS))?;
        let cols = obj
            .u16_of(attr::COLUMNS)?
            .ok_or(ErrorKind::MissingAttribute(attr::COLUMNS))?;
        let frames = number_of_frames(obj)?;
        let geometry = Geometry::read(obj)?;
        let planes = if frames > 1 {
            frame_planes(obj, frames)?
        } else {
            vec![Plane {
                frame: 0,
                position: geometry.origin,
                orientation: geometry.direction,
                temporal: u32_of(obj, TEMPORAL_POSITION_IDENTIFIER)?,
            }]
        };
        Ok(Self {
            name: file.name().to_owned(),
            series_uid: obj.text(attr::SERIES_INSTANCE_UID),
            frame_of_reference: obj.text(FRAME_OF_REFERENCE_UID),
            sop_instance_uid: obj.text(attr::SOP_INSTANCE_UID),
            rows,
            cols,
            frames,
            samples_per_pixel: obj.u16_of(attr::SAMPLES_PER_PIXEL)?.unwrap_or(1),
            pixel_spacing: geometry.pixel_spacing,
            slice_thickness: geometry.slice_thickness,
            localizer: obj.text(IMAGE_TYPE).is_some_and(|t| {
                t.split('\\')
                    .any(|v| v.trim().eq_ignore_ascii_case("LOCALIZER"))
            }),
            planes,
        })
    }

    fn orientation(&self) -> Option<[f64; 6]> {
        self.planes.first().and_then(|p| p.orientation)
    }
}

/// The planes of a multi-frame file, from its functional groups. Only frames with a
/// per-frame item are listed (the sequence is in memory, so this is bounded by the file,
/// never by a hostile Number of Frames); [`assemble`] refuses a file where they differ.
fn frame_planes(obj: &InMemDicomObject, frames: u32) -> Result<Vec<Plane>, ErrorKind> {
    let listed = obj.items(attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).len();
    let count = u32::try_from(listed).unwrap_or(u32::MAX).min(frames);
    (0..count)
        .map(|frame| {
            let read = |group, attribute| -> Result<Option<Vec<f64>>, ErrorKind> {
                frame_item(obj, frame, group)
                    .map(|item| item.f64s_of(attribute))
                    .transpose()
                    .map(Option::flatten)
            };
            let temporal = match frame_item(obj, frame, FRAME_CONTENT_SEQUENCE) {
                Some(item) => u32_of(item, TEMPORAL_POSITION_INDEX)?,
                None => None,
            };
            Ok(Plane {
                frame,
                position: read(attr::PLANE_POSITION_SEQUENCE, attr::IMAGE_POSITION_PATIENT)?
                    .and_then(|v| fixed::<3>(&v)),
                orientation: read(
                    attr::PLANE_ORIENTATION_SEQUENCE,
                    attr::IMAGE_ORIENTATION_PATIENT,
                )?
                .and_then(|v| fixed::<6>(&v))
                .or_else(|| {
                    obj.f64s_of(attr::IMAGE_ORIENTATION_PATIENT)
                        .ok()
                        .flatten()
                        .and_then(|v| fixed::<6>(&v))
                }),
                temporal,
            })
        })
        .collect()
}

fn u32_of(obj: &InMemDicomObject, attribute: Attribute) -> Result<Option<u32>, ErrorKind> {
    obj.i64_of(attribute)?
        .map(|v| {
            u32::try_from(v).map_err(|_| ErrorKind::InvalidAttribute {
                attribute,
                value: v.to_string(),
                reason: "must be a non-negative 32-bit integer",
            })
        })
        .transpose()
}

fn fixed<const N: usize>(values: &[f64]) -> Option<[f64; N]> {
    values.get(..N)?.try_into().ok()
}

/// One series found among headers: the files in slice order plus what assembly needs.
#[derive(Debug, Clone)]
pub struct SeriesGroup {
    names: Vec<String>,
    headers: Vec<Header>,
    warnings: Vec<String>,
}

impl SeriesGroup {
    /// File names in slice order (by position along the slice normal, where every file
    /// has one; else in the order given).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the group holds no file.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    fn new(mut headers: Vec<Header>, warnings: Vec<String>) -> Self {
        let normal = headers
            .first()
            .and_then(Header::orientation)
            .and_then(|o| slice_normal(&o));
        let positions: Option<Vec<f64>> = headers
            .iter()
            .map(|h| {
                let position = h.planes.first()?.position?;
                Some(dot(&position, &normal?))
            })
            .collect();
        if let Some(positions) = positions {
            let mut keyed: Vec<(f64, Header)> = positions.into_iter().zip(headers).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            headers = keyed.into_iter().map(|(_, h)| h).collect();
        }
        Self {
            names: headers.iter().map(|h| h.name.clone()).collect(),
            headers,
            warnings,
        }
    }
}

/// What [`group`] found.
#[derive(Debug)]
pub struct Grouping {
    /// The series, in the order their first file was given; localizers and slices of a
    /// minority orientation, split off their series, come after all the others.
    pub series: Vec<SeriesGroup>,
    /// RT Structure Sets and Segmentations ([`Role::RtStruct`], [`Role::Seg`]).
    pub masks: Vec<DicomFile>,
    /// Files that are not images a series can use, with why.
    pub failures: Vec<(String, SeriesError)>,
}

/// Files that may be slices of one series: same series, frame of reference and size.
/// A multi-frame file is a series of its own.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    series_uid: Option<String>,
    frame_of_reference: Option<String>,
    rows: u16,
    cols: u16,
    multi_frame_file: Option<usize>,
}

/// Groups headers ([`DicomFile::open_header`] or full files) by Series Instance UID,
/// Frame of Reference UID, orientation and Rows×Columns. A localizer (Image Type
/// containing LOCALIZER, or an orientation differing from the series majority) is split
/// off into a group of its own, with a warning on both. Needs no pixel data.
pub fn group(files: Vec<DicomFile>) -> Grouping {
    let mut masks = Vec::new();
    let mut failures = Vec::new();
    let mut buckets: Vec<(Key, Vec<Header>)> = Vec::new();
    for (index, file) in files.into_iter().enumerate() {
        if role(&file) != Role::Image {
            masks.push(file);
            continue;
        }
        let header = match Header::read(&file) {
            Ok(header) => header,
            Err(kind) => {
                failures.push((file.name().to_owned(), file.error(kind).into()));
                continue;
            }
        };
        let key = Key {
            series_uid: header.series_uid.clone(),
            frame_of_reference: header.frame_of_reference.clone(),
            rows: header.rows,
            cols: header.cols,
            multi_frame_file: (header.frames > 1).then_some(index),
        };
        match buckets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, headers)) => headers.push(header),
            None => buckets.push((key, vec![header])),
        }
    }

    let sizes_warnings = mixed_size_warnings(&buckets);
    let mut series = Vec::new();
    let mut split_off = Vec::new();
    for ((_, headers), size_warning) in buckets.into_iter().zip(sizes_warnings) {
        let (localizers, images): (Vec<Header>, Vec<Header>) =
            headers.into_iter().partition(|h| h.localizer);
        let mut clusters = by_orientation(images);
        let mut warnings: Vec<String> = size_warning.into_iter().collect();
        if !localizers.is_empty() {
            warnings.push(format!(
                "{} localizer image(s) (ImageType LOCALIZER) split off into a series of their own",
                localizers.len()
            ));
            for cluster in by_orientation(localizers) {
                split_off.push(SeriesGroup::new(
                    cluster,
                    vec!["a localizer (ImageType LOCALIZER), split off its series".into()],
                ));
            }
        }
        if clusters.is_empty() {
            continue;
        }
        // The majority orientation is the series; ties keep the first seen.
        let majority = (0..clusters.len())
            .rev()
            .max_by_key(|&i| clusters[i].len())
            .unwrap_or(0);
        let main = clusters.remove(majority);
        if !clusters.is_empty() {
            let count: usize = clusters.iter().map(Vec::len).sum();
            warnings.push(format!(
                "{count} image(s) oriented differently from the series majority (likely \
                 localizers) split off into series of their own"
            ));
        }
        for cluster in clusters {
            split_off.push(SeriesGroup::new(
                cluster,
                vec![
                    "oriented differently from the majority of its series (likely a \
                     localizer), split off"
                        .into(),
                ],
            ));
        }
        series.push(SeriesGroup::new(main, warnings));
    }
    series.extend(split_off);
    Grouping {
        series,
        masks,
        failures,
    }
}

/// A warning for each bucket whose Series Instance UID also holds images of another size.
fn mixed_size_warnings(buckets: &[(Key, Vec<Header>)]) -> Vec<Option<String>> {
    buckets
        .iter()
        .map(|(key, _)| {
            // Sizes in the order first seen (buckets of one size may differ by frame of
            // reference, so each size is listed once).
            let mut sizes: Vec<(u16, u16)> = Vec::new();
            for (k, _) in buckets {
                let size = (k.rows, k.cols);
                if k.series_uid == key.series_uid
                    && k.multi_frame_file == key.multi_frame_file
                    && !sizes.contains(&size)
                {
                    sizes.push(size);
                }
            }
            (sizes.len() > 1).then(|| {
                let listed: Vec<String> = sizes.iter().map(|(r, c)| format!("{c}×{r}")).collect();
                format!(
                    "its Series Instance UID holds images of several sizes ({}, columns×rows): \
                     split into one series per size",
                    listed.join(", ")
                )
            })
        })
        .collect()
}

/// Splits headers into runs of one orientation (within [`ORIENTATION_TOLERANCE`]), in
/// the order each orientation was first seen; headers without one stay together.
fn by_orientation(headers: Vec<Header>) -> Vec<Vec<Header>> {
    let mut clusters: Vec<(Option<[f64; 6]>, Vec<Header>)> = Vec::new();
    for header in headers {
        let orientation = header.orientation();
        match clusters
            .iter_mut()
            .find(|(o, _)| same_orientation(o.as_ref(), orientation.as_ref()))
        {
            Some((_, members)) => members.push(header),
            None => clusters.push((orientation, vec![header])),
        }
    }
    clusters.into_iter().map(|(_, members)| members).collect()
}

fn same_orientation(a: Option<&[f64; 6]>, b: Option<&[f64; 6]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a
            .iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= ORIENTATION_TOLERANCE),
        (None, None) => true,
        _ => false,
    }
}

/// A volume assembled from a series.
#[derive(Debug, Clone)]
pub struct Series {
    /// f32 values after the modality LUT ([`DicomFile::image`]), z-major.
    pub volume: Volume,
    /// Header metadata of the first slice in z order (of the file, for a multi-frame one).
    pub meta: Metadata,
    /// Frame of Reference UID, shared by every slice.
    pub frame_of_reference: Option<String>,
    /// Descriptive attributes of the first slice.
    pub info: SeriesInfo,
    /// What was noticed while grouping and assembling; never patient identifiers.
    pub warnings: Vec<String>,
    /// File names in z order (one name per slice; a multi-frame file's name once per frame).
    pub slices: Vec<String>,
}

/// Descriptive attributes of a series, read from its first slice in z order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesInfo {
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Body Part Examined (0018,0015).
    pub body_part: Option<String>,
    /// Manufacturer (0008,0070).
    pub manufacturer: Option<String>,
    /// Echo Time (0018,0081), ms.
    pub echo_time: Option<f64>,
    /// Repetition Time (0018,0080), ms.
    pub repetition_time: Option<f64>,
    /// Magnetic Field Strength (0018,0087), T.
    pub magnetic_field_strength: Option<f64>,
    /// Temporal position of this volume, when the series holds several (Temporal Position
    /// Index or Identifier, else the 1-based occurrence at a repeated position).
    pub temporal_position: Option<u32>,
}

impl SeriesInfo {
    /// Descriptive values only: a malformed number here is left out rather than failing
    /// a series whose pixels and geometry are sound.
    fn read(obj: &InMemDicomObject, temporal_position: Option<u32>) -> Self {
        let number = |attribute| obj.f64_of(attribute).ok().flatten();
        Self {
            series_description: obj.text(SERIES_DESCRIPTION),
            body_part: obj.text(BODY_PART_EXAMINED),
            manufacturer: obj.text(MANUFACTURER),
            echo_time: number(ECHO_TIME),
            repetition_time: number(REPETITION_TIME),
            magnetic_field_strength: number(MAGNETIC_FIELD_STRENGTH),
            temporal_position,
        }
    }
}

/// A plane of the group: which file, which of its planes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlaneRef {
    file: usize,
    plane: usize,
}

/// The grid of one time point and its planes in z order.
struct Layout {
    grid: Grid,
    order: Vec<PlaneRef>,
    warnings: Vec<String>,
}

/// Loads pixel data (through `load`, given a slice name; it returns the full
/// [`DicomFile`]) one file at a time and builds the volume(s): one [`Series`] per
/// temporal position, in ascending order. The geometry is checked on the headers, and
/// the voxel count against `limits`, before any pixel data is loaded.
pub fn assemble(
    group: &SeriesGroup,
    load: &dyn Fn(&str) -> crate::Result<DicomFile>,
    limits: &Limits,
) -> Result<Vec<Series>, SeriesError> {
    let headers = &group.headers;
    for header in headers {
        if header.samples_per_pixel != 1 {
            return Err(SeriesError::Colour {
                file: header.name.clone(),
                samples: header.samples_per_pixel,
            });
        }
        if header.planes.len() != header.frames as usize {
            return Err(SeriesError::FramePositions {
                file: header.name.clone(),
                frames: header.frames,
                planes: header.planes.len(),
            });
        }
    }
    let planes: Vec<PlaneRef> = headers
        .iter()
        .enumerate()
        .flat_map(|(file, h)| (0..h.planes.len()).map(move |plane| PlaneRef { file, plane }))
        .collect();
    if planes.is_empty() {
        return Err(SeriesError::Empty);
    }
    let points = time_points(headers, planes);
    let layouts = points
        .iter()
        .map(|(_, planes)| layout(headers, planes))
        .collect::<Result<Vec<_>, _>>()?;
    let voxels = layouts.iter().try_fold(0u64, |sum, l| {
        l.grid
            .size
            .iter()
            .try_fold(1u64, |n, &s| n.checked_mul(s as u64))
            .and_then(|n| sum.checked_add(n))
    });
    match voxels {
        Some(v) if v <= limits.max_samples => {}
        _ => {
            return Err(SeriesError::TooLarge {
                voxels: voxels.unwrap_or(u64::MAX),
                limit: limits.max_samples,
            })
        }
    }

    // One decoded file is kept: a single-frame series needs each file once, an enhanced
    // one needs its one file for every time point.
    let mut cache: Option<Loaded> = None;
    let mut out = Vec::with_capacity(layouts.len());
    for ((temporal, _), layout) in points.into_iter().zip(layouts) {
        let mut voxels = Vec::with_capacity(layout.grid.len());
        let mut first: Option<(Metadata, SeriesInfo)> = None;
        for plane in &layout.order {
            let header = &headers[plane.file];
            let loaded = match cache.take() {
                Some(loaded) if loaded.file == plane.file => loaded,
                _ => Loaded::read(plane.file, header, load, limits)?,
            };
            if first.is_none() {
                first = Some((loaded.meta.clone(), loaded.info.clone()));
            }
            let frame = header.planes[plane.plane].frame;
            let pixels = loaded
                .image
                .frame(frame)
                .ok_or_else(|| SeriesError::SliceChanged {
                    file: header.name.clone(),
                    reason: format!("frame {frame} is not in the pixel data"),
                })?;
            voxels.extend_from_slice(pixels);
            cache = Some(loaded);
        }
        let Some((meta, mut info)) = first else {
            return Err(SeriesError::Empty);
        };
        info.temporal_position = temporal;
        let mut warnings = group.warnings.clone();
        warnings.extend(layout.warnings);
        out.push(Series {
            volume: Volume {
                grid: layout.grid,
                voxels,
            },
            meta,
            frame_of_reference: headers[layout.order[0].file].frame_of_reference.clone(),
            info,
            warnings,
            slices: layout
                .order
                .iter()
                .map(|p| headers[p.file].name.clone())
                .collect(),
        });
    }
    Ok(out)
}

/// A file of the group, decoded.
struct Loaded {
    file: usize,
    image: crate::Image,
    info: SeriesInfo,
    meta: Metadata,
}

impl Loaded {
    fn read(
        index: usize,
        header: &Header,
        load: &dyn Fn(&str) -> crate::Result<DicomFile>,
        limits: &Limits,
    ) -> Result<Self, SeriesError> {
        let file = load(&header.name)?;
        let image = file.image(Frames::All, limits)?;
        check_loaded(header, &image)?;
        Ok(Self {
            file: index,
            info: SeriesInfo::read(file.object(), None),
            meta: image.meta.clone(),
            image,
        })
    }
}

/// Refuses a file whose pixels no longer match the header it was grouped by.
fn check_loaded(header: &Header, image: &crate::Image) -> Result<(), SeriesError> {
    let changed = |reason: String| SeriesError::SliceChanged {
        file: header.name.clone(),
        reason,
    };
    if image.samples_per_pixel != 1 {
        return Err(SeriesError::Colour {
            file: header.name.clone(),
            samples: image.samples_per_pixel,
        });
    }
    if (image.rows, image.cols) != (u32::from(header.rows), u32::from(header.cols)) {
        return Err(changed(format!(
            "its pixels are {}×{} (columns×rows)",
            image.cols, image.rows
        )));
    }
    if image.frames != header.frames {
        return Err(changed(format!("it holds {} frame(s)", image.frames)));
    }
    Ok(())
}

/// Splits the planes into time points. Distinct temporal positions (Temporal Position
/// Index of a frame, Temporal Position Identifier of a file) split the series; without
/// them, frames of one multi-frame file that share a position are taken as successive
/// time points (the k-th frame at a position belongs to time point k). Slices of
/// separate files at one position stay together, for [`layout`] to judge as duplicates.
fn time_points(headers: &[Header], planes: Vec<PlaneRef>) -> Vec<(Option<u32>, Vec<PlaneRef>)> {
    let plane = |p: &PlaneRef| &headers[p.file].planes[p.plane];
    let mut by_temporal: BTreeMap<Option<u32>, Vec<PlaneRef>> = BTreeMap::new();
    for p in &planes {
        by_temporal.entry(plane(p).temporal).or_default().push(*p);
    }
    if by_temporal.len() > 1 {
        return by_temporal.into_iter().collect();
    }
    let temporal = by_temporal.into_keys().next().flatten();
    let multi_frame = headers.len() == 1 && headers[0].frames > 1;
    if !multi_frame {
        return vec![(temporal, planes)];
    }
    let mut seen: HashMap<[i64; 3], usize> = HashMap::new();
    let mut points: Vec<Vec<PlaneRef>> = Vec::new();
    for p in planes {
        // A frame without a position is left to `layout`, which refuses it.
        let k = match plane(&p).position {
            Some(position) => {
                let key = position.map(|v| (v / SAME_POSITION_MM).round() as i64);
                let count = seen.entry(key).or_insert(0);
                *count += 1;
                *count - 1
            }
            None => 0,
        };
        if points.len() <= k {
            points.push(Vec::new());
        }
        points[k].push(p);
    }
    if points.len() == 1 {
        return vec![(temporal, points.remove(0))];
    }
    points
        .into_iter()
        .zip(1u32..)
        .map(|(planes, k)| (Some(k), planes))
        .collect()
}

/// The grid of one time point: slices ordered along the normal, spacing from their
/// positions, and the checks that a regular grid holds them.
fn layout(headers: &[Header], planes: &[PlaneRef]) -> Result<Layout, SeriesError> {
    let Some(&first) = planes.first() else {
        return Err(SeriesError::Empty);
    };
    let first_header = &headers[first.file];
    let (rows, cols) = (
        usize::from(first_header.rows),
        usize::from(first_header.cols),
    );
    if planes.len() == 1 {
        return single_slice(headers, first, [cols, rows]);
    }

    let missing = |h: &Header, attribute| SeriesError::MissingGeometry {
        file: h.name.clone(),
        attribute,
    };
    let Some(pixel_spacing) = first_header.pixel_spacing else {
        return Err(missing(first_header, attr::PIXEL_SPACING));
    };
    let Some(orientation) = first_header.planes[first.plane].orientation else {
        return Err(missing(first_header, attr::IMAGE_ORIENTATION_PATIENT));
    };
    let normal = slice_normal(&orientation).ok_or_else(|| SeriesError::InvalidOrientation {
        file: first_header.name.clone(),
        value: orientation,
    })?;
    let mut stack: Vec<(f64, [f64; 3], PlaneRef)> = Vec::with_capacity(planes.len());
    for &p in planes {
        let h = &headers[p.file];
        let plane = &h.planes[p.plane];
        let Some(o) = plane.orientation else {
            return Err(missing(h, attr::IMAGE_ORIENTATION_PATIENT));
        };
        if !same_orientation(Some(&o), Some(&orientation)) {
            return Err(SeriesError::MixedOrientation {
                first: first_header.name.clone(),
                file: h.name.clone(),
            });
        }
        let Some(spacing) = h.pixel_spacing else {
            return Err(missing(h, attr::PIXEL_SPACING));
        };
        if spacing
            .iter()
            .zip(&pixel_spacing)
            .any(|(a, b)| (a - b).abs() > ORIENTATION_TOLERANCE * b.abs().max(1.0))
        {
            return Err(SeriesError::MixedPixelSpacing {
                first: first_header.name.clone(),
                expected: pixel_spacing,
                file: h.name.clone(),
                found: spacing,
            });
        }
        let Some(position) = plane.position else {
            return Err(missing(h, attr::IMAGE_POSITION_PATIENT));
        };
        stack.push((dot(&position, &normal), position, p));
    }
    stack.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut warnings = Vec::new();
    let mut kept: Vec<(f64, [f64; 3], PlaneRef)> = Vec::with_capacity(stack.len());
    for entry in stack {
        if let Some(last) = kept.last() {
            if entry.0 - last.0 <= SAME_POSITION_MM {
                let (a, b) = (&headers[last.2.file], &headers[entry.2.file]);
                let same_instance = a.sop_instance_uid.is_some()
                    && a.sop_instance_uid == b.sop_instance_uid
                    && last.2.file != entry.2.file;
                if !same_instance {
                    return Err(SeriesError::DuplicatePosition {
                        first: a.name.clone(),
                        second: b.name.clone(),
                        position: entry.0,
                    });
                }
                warnings.push(format!(
                    "{} is a second copy of {} (same SOP Instance UID at the same position): \
                     one is kept",
                    b.name, a.name
                ));
                continue;
            }
        }
        kept.push(entry);
    }
    if kept.len() == 1 {
        let mut single = single_slice(headers, kept[0].2, [cols, rows])?;
        warnings.append(&mut single.warnings);
        single.warnings = warnings;
        return Ok(single);
    }

    let steps: Vec<f64> = kept.windows(2).map(|w| w[1].0 - w[0].0).collect();
    let median = median(&steps);
    let tolerance = (UNEVEN_FRACTION * median).max(UNEVEN_MM);
    if steps.iter().any(|s| (s - median).abs() > tolerance) {
        let gaps: Vec<Gap> = kept
            .windows(2)
            .filter_map(|w| {
                let ratio = (w[1].0 - w[0].0) / median;
                let whole = ratio.round();
                (ratio >= MISSING_MIN_RATIO && (ratio - whole).abs() <= MISSING_RATIO_TOLERANCE)
                    .then(|| Gap {
                        after: w[0].0,
                        before: w[1].0,
                        missing: whole as usize - 1,
                    })
            })
            .collect();
        let other_unevenness = steps.iter().any(|s| {
            let ratio = s / median;
            (s - median).abs() > tolerance
                && !(ratio >= MISSING_MIN_RATIO
                    && (ratio - ratio.round()).abs() <= MISSING_RATIO_TOLERANCE)
        });
        if !gaps.is_empty() && !other_unevenness {
            return Err(SeriesError::MissingSlices { step: median, gaps });
        }
        let (min, max) = steps
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| {
                (lo.min(s), hi.max(s))
            });
        return Err(SeriesError::UnevenSpacing { min, max, median });
    }

    let (first, last) = (&kept[0], &kept[kept.len() - 1]);
    let extent = last.0 - first.0;
    let z_step = extent / (kept.len() - 1) as f64;
    // The slice origins should move along the normal only; a drift across it that grows
    // with z is a tilted gantry. ITK keeps such a stack on the orthogonal grid.
    let drift: [f64; 3] = std::array::from_fn(|i| last.1[i] - first.1[i] - extent * normal[i]);
    let drift_mm = dot(&drift, &drift).sqrt();
    if drift_mm > TILT_MM {
        let degrees = drift_mm.atan2(extent).to_degrees();
        warnings.push(format!(
            "gantry tilt of {degrees:.2}°: the slice origins drift {drift_mm:.3} mm across \
             the slice normal; kept as ITK reads it (first slice's origin, direction from \
             ImageOrientationPatient, z spacing along the normal), so positions away from \
             the first slice are off by up to that drift"
        ));
    }
    Ok(Layout {
        grid: Grid {
            size: [cols, rows, kept.len()],
            spacing: [pixel_spacing[1], pixel_spacing[0], z_step],
            origin: first.1,
            direction: direction(&orientation, &normal),
        },
        order: kept.into_iter().map(|(_, _, p)| p).collect(),
        warnings,
    })
}

/// The grid of a lone slice: nothing gives the z spacing, so Slice Thickness stands in
/// (else 1 mm), and missing geometry falls back to identity with a warning.
fn single_slice(headers: &[Header], p: PlaneRef, size: [usize; 2]) -> Result<Layout, SeriesError> {
    let header = &headers[p.file];
    let plane = &header.planes[p.plane];
    let mut warnings = Vec::new();
    let pixel_spacing = header.pixel_spacing.unwrap_or_else(|| {
        warnings.push("no PixelSpacing: 1 mm assumed along rows and columns".into());
        [1.0, 1.0]
    });
    let orientation = plane.orientation.unwrap_or_else(|| {
        warnings.push("no ImageOrientationPatient: axial (identity) orientation assumed".into());
        [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    });
    let origin = plane.position.unwrap_or_else(|| {
        warnings.push("no ImagePositionPatient: origin (0, 0, 0) assumed".into());
        [0.0; 3]
    });
    let normal = slice_normal(&orientation).ok_or_else(|| SeriesError::InvalidOrientation {
        file: header.name.clone(),
        value: orientation,
    })?;
    let z = match header.slice_thickness.filter(|t| t.is_finite() && *t > 0.0) {
        Some(thickness) => {
            warnings.push(format!(
                "a single slice: z spacing is its SliceThickness ({thickness} mm)"
            ));
            thickness
        }
        None => {
            warnings.push("a single slice without SliceThickness: z spacing 1 mm assumed".into());
            1.0
        }
    };
    Ok(Layout {
        grid: Grid {
            size: [size[0], size[1], 1],
            spacing: [pixel_spacing[1], pixel_spacing[0], z],
            origin,
            direction: direction(&orientation, &normal),
        },
        order: vec![p],
        warnings,
    })
}

/// The unit normal of an orientation, if its cosines are orthonormal.
fn slice_normal(orientation: &[f64; 6]) -> Option<[f64; 3]> {
    let r = [orientation[0], orientation[1], orientation[2]];
    let c = [orientation[3], orientation[4], orientation[5]];
    let unit = |v: &[f64; 3]| (dot(v, v).sqrt() - 1.0).abs() <= ORTHONORMAL_TOLERANCE;
    if !(unit(&r) && unit(&c) && dot(&r, &c).abs() <= ORTHONORMAL_TOLERANCE) {
        return None;
    }
    let n = [
        r[1] * c[2] - r[2] * c[1],
        r[2] * c[0] - r[0] * c[2],
        r[0] * c[1] - r[1] * c[0],
    ];
    let length = dot(&n, &n).sqrt();
    Some(n.map(|v| v / length))
}

/// Row-major direction whose columns are the row cosines, the column cosines and the normal.
fn direction(orientation: &[f64; 6], normal: &[f64; 3]) -> [f64; 9] {
    [
        orientation[0],
        orientation[3],
        normal[0],
        orientation[1],
        orientation[4],
        normal[1],
        orientation[2],
        orientation[5],
        normal[2],
    ]
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}
