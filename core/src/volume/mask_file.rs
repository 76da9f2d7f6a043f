//! A DICOM mask file of either kind, RT Structure Set or Segmentation, behind one
//! interface, so that what reads masks (the Python module, series mode) chooses ROIs,
//! matches them to scans and places them on grids the same way whatever the file.
//!
//! The kind is decided by SOP Class UID, else Modality ([`role`]); an image is refused
//! with [`MaskError::NotAMask`]. Structure sets need only the header; a segmentation's
//! header is read first (to choose segments and match the scan) and its pixel data only
//! when a segment is placed ([`MaskFile::needs_pixels`]), so a caller can keep many
//! mask files in hand and load each one's pixels while it is used.

use super::mask_error::{MaskError, RoiSelector};
use super::rtstruct::{Roi, StructureSet};
use super::seg::{Segment, Segmentation};
use super::series::{role, Role};
use super::{Grid, Mask};
use crate::{DicomFile, Limits};

/// The ROIs of one DICOM mask file.
#[derive(Debug, Clone, PartialEq)]
pub enum MaskFile {
    /// An RT Structure Set: contours.
    Structures(StructureSet),
    /// A Segmentation: frames of segments.
    Segments(Segmentation),
}

/// One ROI of a [`MaskFile`]: an RTSTRUCT ROI or a SEG segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaskRoi<'a> {
    /// An ROI of a structure set.
    Contours(&'a Roi),
    /// A segment, with the segmentation that places it.
    Segment(&'a Segmentation, &'a Segment),
}

impl MaskFile {
    /// Reads the header of an RTSTRUCT or SEG (a header-only file is enough).
    pub fn read(file: &DicomFile) -> Result<Self, MaskError> {
        match role(file) {
            Role::RtStruct => StructureSet::read(file).map(Self::Structures),
            Role::Seg => Segmentation::read(file).map(Self::Segments),
            Role::Image => Err(MaskError::NotAMask(
                "this file is an image, not an RT Structure Set or a Segmentation".to_owned(),
            )),
        }
    }

    /// Whether [`MaskRoi::rasterise`] needs the file opened whole (a segmentation's
    /// pixel data), not only its header.
    pub fn needs_pixels(&self) -> bool {
        matches!(self, Self::Segments(_))
    }

    /// The frame of reference the ROIs are in, if the file gives one.
    pub fn frame_of_reference(&self) -> Option<&str> {
        match self {
            Self::Structures(set) => set.frame_of_reference.as_deref(),
            Self::Segments(seg) => seg.frame_of_reference.as_deref(),
        }
    }

    /// The series the ROIs were drawn on, if the file names it.
    pub fn referenced_series(&self) -> Option<&str> {
        match self {
            Self::Structures(set) => set.referenced_series.as_deref(),
            Self::Segments(seg) => seg.referenced_series.as_deref(),
        }
    }

    /// Every ROI, in file order.
    pub fn rois(&self) -> Vec<MaskRoi<'_>> {
        match self {
            Self::Structures(set) => set.rois.iter().map(MaskRoi::Contours).collect(),
            Self::Segments(seg) => seg
                .segments
                .iter()
                .map(|s| MaskRoi::Segment(seg, s))
                .collect(),
        }
    }

    /// The ROI `selector` names (see [`RoiSelector`]).
    pub fn roi(&self, selector: &RoiSelector) -> Result<MaskRoi<'_>, MaskError> {
        match self {
            Self::Structures(set) => set.roi(selector).map(MaskRoi::Contours),
            Self::Segments(seg) => seg.segment(selector).map(|s| MaskRoi::Segment(seg, s)),
        }
    }

    /// The only ROI; with several, [`MaskError::AmbiguousRoi`] listing them.
    pub fn only_roi(&self) -> Result<MaskRoi<'_>, MaskError> {
        match self {
            Self::Structures(set) => set.only_roi().map(MaskRoi::Contours),
            Self::Segments(seg) => seg.only_segment().map(|s| MaskRoi::Segment(seg, s)),
        }
    }
}

impl MaskRoi<'_> {
    /// ROI Number or Segment Number.
    pub fn number(&self) -> i64 {
        match self {
            Self::Contours(roi) => roi.number,
            Self::Segment(_, segment) => segment.number,
        }
    }

    /// ROI Name or Segment Label.
    pub fn name(&self) -> &str {
        match self {
            Self::Contours(roi) => &roi.name,
            Self::Segment(_, segment) => &segment.label,
        }
    }

    /// What was left out while reading, one line each (see [`Roi::warnings`]).
    pub fn warnings(&self) -> &[String] {
        match self {
            Self::Contours(roi) => roi.warnings(),
            Self::Segment(..) => &[],
        }
    }

    /// The ROI as a mask on `grid` ([`Roi::rasterise`], [`Segmentation::rasterise`]).
    /// `file` is the mask file, opened whole when [`MaskFile::needs_pixels`] says so.
    pub fn rasterise(
        &self,
        file: &DicomFile,
        grid: &Grid,
        limits: &Limits,
    ) -> Result<Mask, MaskError> {
        match self {
            Self::Contours(roi) => roi.rasterise(grid),
            Self::Segment(seg, segment) => seg.rasterise(segment, file, grid, limits),
        }
    }
}
