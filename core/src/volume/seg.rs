//! ROI masks from DICOM Segmentations (SEG): the frames of a segment placed on a scan's
//! grid by their position.
//!
//! A Segmentation (SOP Class 1.2.840.10008.5.1.4.1.1.66.4) is a multi-frame image whose
//! every frame is one plane of one segment. Each frame says which segment it belongs to
//! (Segment Identification Sequence › Referenced Segment Number) and where it lies
//! (Plane Position Sequence › Image Position (Patient), Plane Orientation Sequence and
//! Pixel Measures Sequence), each in the frame's Per-frame Functional Groups item or in
//! the Shared Functional Groups. [`Segmentation::read`] reads all that from the header
//! (no pixel data is needed), and [`Segmentation::rasterise`] places the frames of one
//! segment on a [`Grid`]:
//!
//! 1. Frames are placed by position, never by their order in the file or by their
//!    Dimension Index Values (Frame Content Sequence), which writers order as they like.
//!    A frame must have the grid's row and column directions (within
//!    [`ORIENTATION_TOLERANCE`]) and pixel spacing (within [`SPACING_TOLERANCE`],
//!    relative), and its first pixel must fall on a voxel centre of the grid: an integer
//!    index along x, y and z, within [`POSITION_TOLERANCE`] voxels. Anything else (a frame
//!    between two slices, shifted by part of a pixel, on another spacing or orientation)
//!    is [`MaskError::FrameMismatch`], naming the frame's geometry and the grid's: the
//!    segmentation was made on another grid, and resampling it silently would change
//!    every feature computed from it. A frame beyond the first or last slice is
//!    [`MaskError::OutsideGrid`].
//! 2. Pixel (row r, column c) of a frame whose first pixel falls on voxel (x, y, z) marks
//!    voxel (x + c, y + r, z). A frame may be offset from the grid's slices by whole
//!    pixels or differ from them in size, but every pixel inside the segment must land on
//!    the grid ([`MaskError::FrameMismatch`] otherwise); pixels outside it may not.
//! 3. Inside means: for BINARY, a set bit; for FRACTIONAL, a value of at least half the
//!    Maximum Fractional Value (value / max ≥ 0.5, the threshold IBSI applies to a mask
//!    of partial volumes), whether the Segmentation Fractional Type is PROBABILITY or
//!    OCCUPANCY. Several frames of one segment on one slice add up (a voxel is inside
//!    when any of them marks it); slices that no frame of the segment covers are
//!    outside.
//! 4. A segment that marks no voxel is [`MaskError::EmptyRoi`], as for an RTSTRUCT ROI.
//!
//! BINARY pixel data is one bit a pixel, packed without padding across frame boundaries
//! (PS3.5 8.1.1 and 8.2: frame f starts at bit f · Rows · Columns, least significant bit
//! first, so a frame whose pixel count is not a multiple of 8 starts inside a byte); the
//! decoder extracts each frame at its bit offset. FRACTIONAL pixel data is 8 bits, and
//! compressed FRACTIONAL pixel data is decoded with the image codecs. A compressed BINARY
//! segmentation ([`MaskError::Unsupported`]) and the LABELMAP type of the Label Map
//! Segmentation are refused with an error that says so.

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::mask_error::{self, MaskError, RoiSelector};
use super::{Grid, Mask};
use crate::decode::attributes::{self as attr, DataSetExt};
use crate::decode::functional_groups::frame_item;
use crate::decode::metadata::number_of_frames;
use crate::{Attribute, DicomFile, Frames, Limits, Samples};

const REFERENCED_SERIES_SEQUENCE: Attribute = Attribute {
    keyword: "ReferencedSeriesSequence",
    tag: (0x0008, 0x1115),
};
const FRAME_OF_REFERENCE_UID: Attribute = Attribute {
    keyword: "FrameOfReferenceUID",
    tag: (0x0020, 0x0052),
};
const SEGMENTATION_TYPE: Attribute = Attribute {
    keyword: "SegmentationType",
    tag: (0x0062, 0x0001),
};
const SEGMENT_SEQUENCE: Attribute = Attribute {
    keyword: "SegmentSequence",
    tag: (0x0062, 0x0002),
};
const SEGMENT_NUMBER: Attribute = Attribute {
    keyword: "SegmentNumber",
    tag: (0x0062, 0x0004),
};
const SEGMENT_LABEL: Attribute = Attribute {
    keyword: "SegmentLabel",
    tag: (0x0062, 0x0005),
};
const SEGMENT_IDENTIFICATION_SEQUENCE: Attribute = Attribute {
    keyword: "SegmentIdentificationSequence",
    tag: (0x0062, 0x000A),
};
const REFERENCED_SEGMENT_NUMBER: Attribute = Attribute {
    keyword: "ReferencedSegmentNumber",
    tag: (0x0062, 0x000B),
};
const MAXIMUM_FRACTIONAL_VALUE: Attribute = Attribute {
    keyword: "MaximumFractionalValue",
    tag: (0x0062, 0x000E),
};

/// How far a frame's direction cosines may differ from the grid's: Decimal Strings
/// hold 16 characters, so one orientation written by two objects may differ in the
/// last digits, while a real change of orientation is far larger. Series assembly
/// takes slices within the same tolerance to share an orientation.
pub const ORIENTATION_TOLERANCE: f64 = 1e-4;

/// How far (relative) a frame's pixel spacing may differ from the grid's: at most 0.05
/// voxels across 512 pixels, so every pixel still lands on its own voxel.
pub const SPACING_TOLERANCE: f64 = 1e-4;

/// How far (in voxels, along each axis) a frame's first pixel may lie from a voxel
/// centre. Series assembly accepts slices whose positions stray from a regular grid by
/// up to 1 % of the slice step, or 0.01 mm across the slices, so a frame that copies a
/// source slice's position exactly can still miss the assembled grid's voxel centre by
/// a few hundredths of a voxel; a frame made on another grid misses it by far more.
pub const POSITION_TOLERANCE: f64 = 0.05;

/// A Segmentation's header: its segments, what it was made on, and where each frame lies.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    /// Frame of Reference UID of the segmentation.
    pub frame_of_reference: Option<String>,
    /// The series the segmentation was made on (Referenced Series Sequence), if given.
    pub referenced_series: Option<String>,
    /// Every segment of Segment Sequence, in file order.
    pub segments: Vec<Segment>,
    kind: Kind,
    rows: usize,
    cols: usize,
    frames: Vec<Frame>,
}

/// One segment of a segmentation: its number and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Segment Number, unique within the segmentation.
    pub number: i64,
    /// Segment Label (empty when the file gives none).
    pub label: String,
}

/// How the pixel values of a segmentation are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One bit a pixel: set is inside.
    Binary,
    /// 8 bits a pixel, from 0 to `max`: inside from `max` / 2 up.
    Fractional { max: u16 },
}

/// Where one frame lies, and which segment it belongs to.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    segment: i64,
    /// Image Position (Patient) of the first pixel, mm.
    position: [f64; 3],
    /// Image Orientation (Patient): row direction, then column direction.
    orientation: [f64; 6],
    /// Pixel Spacing as DICOM orders it: between rows (along y), between columns (along x).
    spacing: [f64; 2],
}

impl Segmentation {
    /// Reads a Segmentation's segments, its references and each frame's segment and
    /// geometry. A header-only file ([`DicomFile::open_header`]) is enough; the pixel
    /// data is read by [`Segmentation::rasterise`].
    pub fn read(file: &DicomFile) -> Result<Self, MaskError> {
        Self::from_object(file.object(), file.transfer_syntax())
    }

    fn from_object(obj: &InMemDicomObject, transfer_syntax: &str) -> Result<Self, MaskError> {
        if obj.present(SEGMENT_SEQUENCE).is_none() {
            return Err(MaskError::Malformed(format!(
                "no {SEGMENT_SEQUENCE}: this is not a Segmentation (for an RTSTRUCT, read it \
                 as a structure set)"
            )));
        }
        let kind = read_kind(obj, transfer_syntax)?;
        let rows = nonzero(obj, attr::ROWS)?;
        let cols = nonzero(obj, attr::COLUMNS)?;
        let mut segments: Vec<Segment> = Vec::new();
        for (i, item) in obj.items(SEGMENT_SEQUENCE).iter().enumerate() {
            let number = item
                .i64_of(SEGMENT_NUMBER)
                .map_err(malformed)?
                .ok_or_else(|| {
                    MaskError::Malformed(format!(
                        "item {} of {SEGMENT_SEQUENCE} has no {SEGMENT_NUMBER}",
                        i + 1
                    ))
                })?;
            if segments.iter().any(|s| s.number == number) {
                return Err(MaskError::Malformed(format!(
                    "{SEGMENT_NUMBER} {number} is given to two segments"
                )));
            }
            segments.push(Segment {
                number,
                label: item.text(SEGMENT_LABEL).unwrap_or_default(),
            });
        }
        let frames = read_frames(obj, &segments)?;
        Ok(Self {
            frame_of_reference: obj.text(FRAME_OF_REFERENCE_UID),
            referenced_series: obj
                .items(REFERENCED_SERIES_SEQUENCE)
                .iter()
                .find_map(|s| s.text(attr::SERIES_INSTANCE_UID)),
            segments,
            kind,
            rows,
            cols,
            frames,
        })
    }

    /// The segment `selector` names: by Segment Number, else by Segment Label (see
    /// [`RoiSelector`]).
    pub fn segment(&self, selector: &RoiSelector) -> Result<&Segment, MaskError> {
        mask_error::select(selector, &self.segments, |s| (s.number, &s.label))
    }

    /// The only segment; with several, [`MaskError::AmbiguousRoi`] listing them.
    pub fn only_segment(&self) -> Result<&Segment, MaskError> {
        mask_error::only(&self.segments, "segmentation", |s| (s.number, &s.label))
    }

    /// Places the frames of `segment` on `grid` (the rule is in the module
    /// documentation). `pixels` is the file this segmentation was read from, opened
    /// whole (with its pixel data); each frame of the segment is decoded alone, within
    /// `limits`.
    pub fn rasterise(
        &self,
        segment: &Segment,
        pixels: &DicomFile,
        grid: &Grid,
        limits: &Limits,
    ) -> Result<Mask, MaskError> {
        let len = mask_error::checked_len(grid)?;
        let [nx, ny, _] = grid.size;
        let mut voxels = vec![false; len];
        let frames = self
            .frames
            .iter()
            .enumerate()
            .filter(|(_, frame)| frame.segment == segment.number);
        for (index, frame) in frames {
            let [x0, y0, z] = place(index, frame, grid, &segment.label)?;
            let values = self.frame_values(pixels, index, limits)?;
            for (r, row) in values.chunks_exact(self.cols).enumerate() {
                for (c, &value) in row.iter().enumerate() {
                    if !self.kind.inside(value) {
                        continue;
                    }
                    // Whole numbers in f64 (exact below 2^53), so that a hostile
                    // position far off the grid fails the range test, never overflows.
                    let (x, y) = (x0 + c as f64, y0 + r as f64);
                    if !(0.0..nx as f64).contains(&x) || !(0.0..ny as f64).contains(&y) {
                        return Err(MaskError::FrameMismatch {
                            roi: segment.label.clone(),
                            reason: format!(
                                "frame {} marks pixel (row {r}, column {c}), which falls on \
                                 voxel ({x}, {y}) beyond the grid's {nx} × {ny} voxels a \
                                 slice: the segmentation covers more than the scan",
                                index + 1
                            ),
                        });
                    }
                    // In range by the tests above (and `place` for z).
                    let flat = (z as usize * ny + y as usize) * nx + x as usize;
                    if let Some(voxel) = voxels.get_mut(flat) {
                        *voxel = true;
                    }
                }
            }
        }
        if !voxels.contains(&true) {
            return Err(MaskError::EmptyRoi {
                roi: segment.label.clone(),
            });
        }
        Ok(Mask {
            grid: grid.clone(),
            voxels,
            roi: segment.label.clone(),
        })
    }

    /// The stored values of frame `index` (zero-based), rows × columns of them.
    fn frame_values(
        &self,
        pixels: &DicomFile,
        index: usize,
        limits: &Limits,
    ) -> Result<Vec<u8>, MaskError> {
        let frame = u32::try_from(index)
            .map_err(|_| MaskError::Malformed(format!("frame {} is out of range", index + 1)))?;
        let stored = pixels
            .stored_pixels(Frames::One(frame), limits)
            .map_err(|e| MaskError::Pixels(e.kind().to_string()))?;
        match stored.samples {
            Samples::U8(values) if values.len() == self.rows * self.cols => Ok(values),
            _ => Err(MaskError::Pixels(format!(
                "frame {} does not decode to {} × {} unsigned values of at most 8 bits",
                index + 1,
                self.rows,
                self.cols
            ))),
        }
    }
}

impl Kind {
    fn inside(self, value: u8) -> bool {
        match self {
            Self::Binary => value != 0,
            // value / max >= 0.5, in integers.
            Self::Fractional { max } => 2 * u16::from(value) >= max,
        }
    }
}

/// Segmentation Type and the pixel format it requires.
fn read_kind(obj: &InMemDicomObject, transfer_syntax: &str) -> Result<Kind, MaskError> {
    let bits = obj.u16_of(attr::BITS_ALLOCATED).map_err(malformed)?;
    let samples = obj.u16_of(attr::SAMPLES_PER_PIXEL).map_err(malformed)?;
    if samples.is_some_and(|s| s != 1) {
        return Err(MaskError::Malformed(format!(
            "{} must be 1 in a Segmentation",
            attr::SAMPLES_PER_PIXEL
        )));
    }
    let kind = obj.text(SEGMENTATION_TYPE);
    match (kind.as_deref(), bits) {
        (Some("BINARY"), Some(1)) => {
            let compressed = TransferSyntaxRegistry
                .get(transfer_syntax)
                .is_some_and(|ts| ts.is_encapsulated_pixel_data());
            if compressed {
                return Err(MaskError::Unsupported(format!(
                    "a BINARY segmentation with compressed pixel data (transfer syntax \
                     {transfer_syntax}); store it uncompressed, e.g. with gdcmconv --raw"
                )));
            }
            Ok(Kind::Binary)
        }
        (Some("FRACTIONAL"), Some(8)) => {
            match obj.u16_of(MAXIMUM_FRACTIONAL_VALUE).map_err(malformed)? {
                Some(max @ 1..=255) => Ok(Kind::Fractional { max }),
                Some(max) => Err(MaskError::Malformed(format!(
                    "{MAXIMUM_FRACTIONAL_VALUE} {max} must be between 1 and 255"
                ))),
                None => Err(MaskError::Malformed(format!(
                    "a FRACTIONAL segmentation without {MAXIMUM_FRACTIONAL_VALUE}"
                ))),
            }
        }
        (Some(kind @ ("BINARY" | "FRACTIONAL")), bits) => Err(MaskError::Malformed(format!(
            "a {kind} segmentation with {} {}; it must be {}",
            attr::BITS_ALLOCATED,
            bits.map_or_else(|| "absent".to_owned(), |b| b.to_string()),
            if kind == "BINARY" { 1 } else { 8 }
        ))),
        (Some("LABELMAP"), _) => Err(MaskError::Unsupported(
            "a LABELMAP segmentation (Label Map Segmentation); export the segments as a \
             BINARY or FRACTIONAL segmentation"
                .to_owned(),
        )),
        (Some(other), _) => Err(MaskError::Malformed(format!(
            "{SEGMENTATION_TYPE} {other:?}; expected BINARY or FRACTIONAL"
        ))),
        (None, _) => Err(MaskError::Malformed(format!("no {SEGMENTATION_TYPE}"))),
    }
}

/// Rows or Columns: present and not zero.
fn nonzero(obj: &InMemDicomObject, attribute: Attribute) -> Result<usize, MaskError> {
    match obj.required_u16(attribute).map_err(malformed)? {
        0 => Err(MaskError::Malformed(format!("{attribute} is 0"))),
        n => Ok(usize::from(n)),
    }
}

/// Each frame's segment and geometry. The Per-frame Functional Groups must list every
/// frame (one item each), so the frames read are bounded by the items in the file,
/// never by a hostile Number of Frames; a single frame may take everything from the
/// Shared Functional Groups.
fn read_frames(obj: &InMemDicomObject, segments: &[Segment]) -> Result<Vec<Frame>, MaskError> {
    let declared = number_of_frames(obj).map_err(malformed)?;
    let listed = obj.items(attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE).len();
    if u32::try_from(listed).ok() != Some(declared) && !(declared == 1 && listed == 0) {
        return Err(MaskError::Malformed(format!(
            "{} is {declared}, but {} has {listed} item(s)",
            attr::NUMBER_OF_FRAMES,
            attr::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE
        )));
    }
    (0..declared)
        .map(|frame| {
            let values = |group: Attribute, attribute: Attribute, count: usize| {
                let item = frame_item(obj, frame, group).ok_or_else(|| {
                    MaskError::Malformed(format!(
                        "frame {} has no {group}, per frame or shared",
                        frame + 1
                    ))
                })?;
                match item.f64s_of(attribute).map_err(malformed)? {
                    Some(v) if v.len() == count => Ok(v),
                    other => Err(MaskError::Malformed(format!(
                        "frame {}: {group} holds {} values of {attribute}, not {count}",
                        frame + 1,
                        other.map_or(0, |v| v.len())
                    ))),
                }
            };
            let segment = frame_item(obj, frame, SEGMENT_IDENTIFICATION_SEQUENCE)
                .map(|item| item.i64_of(REFERENCED_SEGMENT_NUMBER))
                .transpose()
                .map_err(malformed)?
                .flatten()
                .ok_or_else(|| {
                    MaskError::Malformed(format!(
                        "frame {} has no {SEGMENT_IDENTIFICATION_SEQUENCE} with a \
                         {REFERENCED_SEGMENT_NUMBER}",
                        frame + 1
                    ))
                })?;
            if !segments.iter().any(|s| s.number == segment) {
                return Err(MaskError::Malformed(format!(
                    "frame {} belongs to segment {segment}, which {SEGMENT_SEQUENCE} does not \
                     list",
                    frame + 1
                )));
            }
            let position = values(
                attr::PLANE_POSITION_SEQUENCE,
                attr::IMAGE_POSITION_PATIENT,
                3,
            )?;
            let orientation = values(
                attr::PLANE_ORIENTATION_SEQUENCE,
                attr::IMAGE_ORIENTATION_PATIENT,
                6,
            )?;
            let spacing = values(attr::PIXEL_MEASURES_SEQUENCE, attr::PIXEL_SPACING, 2)?;
            if spacing.iter().any(|s| *s <= 0.0) {
                return Err(MaskError::Malformed(format!(
                    "frame {}: {} {spacing:?} must be positive",
                    frame + 1,
                    attr::PIXEL_SPACING
                )));
            }
            Ok(Frame {
                segment,
                position: [position[0], position[1], position[2]],
                orientation: [
                    orientation[0],
                    orientation[1],
                    orientation[2],
                    orientation[3],
                    orientation[4],
                    orientation[5],
                ],
                spacing: [spacing[0], spacing[1]],
            })
        })
        .collect()
}

/// The voxel (x, y, z; whole numbers) on which the first pixel of frame `index` falls,
/// once its orientation, spacing and position fit `grid`.
fn place(index: usize, frame: &Frame, grid: &Grid, roi: &str) -> Result<[f64; 3], MaskError> {
    let mismatch = |reason: String| MaskError::FrameMismatch {
        roi: roi.to_owned(),
        reason,
    };
    let d = &grid.direction;
    // The grid's x and y axes, as Image Orientation (Patient) orders them.
    let axes = [d[0], d[3], d[6], d[1], d[4], d[7]];
    let oriented = frame
        .orientation
        .iter()
        .zip(axes)
        .all(|(a, b)| (a - b).abs() <= ORIENTATION_TOLERANCE);
    // Pixel Spacing is (along y, along x); the grid's spacing (x, y, z).
    let spaced = [
        (frame.spacing[1], grid.spacing[0]),
        (frame.spacing[0], grid.spacing[1]),
    ]
    .iter()
    .all(|(a, b)| (a - b).abs() <= SPACING_TOLERANCE * b);
    if !(oriented && spaced) {
        return Err(mismatch(format!(
            "frame {} has row and column directions {} and pixel spacing {} mm (along x, y), \
             the grid {} and {} mm: the segmentation was made on another grid",
            index + 1,
            numbers(&frame.orientation, 4),
            numbers(&[frame.spacing[1], frame.spacing[0]], 4),
            numbers(&axes, 4),
            numbers(&grid.spacing[..2], 4),
        )));
    }
    let continuous = grid.index(frame.position);
    let whole = continuous.map(f64::round);
    if continuous
        .iter()
        .zip(whole)
        .any(|(v, w)| v.is_nan() || (v - w).abs() > POSITION_TOLERANCE)
    {
        return Err(mismatch(format!(
            "frame {} at {} mm falls at index {} of the grid (origin {} mm, spacing {} mm), \
             between voxel centres: the segmentation was made on another grid",
            index + 1,
            numbers(&frame.position, 3),
            numbers(&continuous, 3),
            numbers(&grid.origin, 3),
            numbers(&grid.spacing, 3),
        )));
    }
    let slices = grid.size[2];
    if !(0.0..slices as f64).contains(&whole[2]) {
        return Err(MaskError::OutsideGrid {
            roi: roi.to_owned(),
            z: frame.position[2],
            index: continuous[2],
            slices,
        });
    }
    Ok(whole)
}

/// `(1.000, -2.500, 3.000)` for an error message.
fn numbers(values: &[f64], decimals: usize) -> String {
    let text: Vec<String> = values.iter().map(|v| format!("{v:.decimals$}")).collect();
    format!("({})", text.join(", "))
}

fn malformed(kind: crate::ErrorKind) -> MaskError {
    MaskError::Malformed(kind.to_string())
}

#[cfg(test)]
mod tests;
