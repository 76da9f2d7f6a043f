//! What can go wrong turning an RTSTRUCT (or a DICOM SEG) into a [`Mask`](super::Mask),
//! and how an ROI is chosen.
//!
//! One error type serves every mask reader so that callers (the CLI, the Python module)
//! handle "no such ROI" or "another frame of reference" the same way whatever the file.
//! Messages never quote identifiers: frames of reference are named by the inputs they
//! come from (file names), not by their UIDs.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use super::Grid;
use crate::Limits;

/// Why a mask could not be read or placed on a grid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// The mask and the image declare different frames of reference.
    #[error(
        "{mask} and {image} lie in different frames of reference (FrameOfReferenceUID \
         differs): the mask was drawn on another scan; pair it with the scan it was drawn on"
    )]
    FrameOfReference {
        /// Name of the mask input (a file name).
        mask: String,
        /// Name of the image input (a file name).
        image: String,
    },
    /// No ROI matches the selector.
    #[error("no ROI {wanted} here; the ROIs are: {}", list(available))]
    NoSuchRoi {
        /// The selector, as given.
        wanted: String,
        /// Every ROI, as `number "name"`.
        available: Vec<String>,
    },
    /// Several ROIs match, or none was chosen where there are several.
    #[error(
        "{wanted} matches several ROIs ({}); choose one by its exact name or its number",
        list(candidates)
    )]
    AmbiguousRoi {
        /// The selector, or "no ROI chosen".
        wanted: String,
        /// The ROIs that match, as `number "name"`.
        candidates: Vec<String>,
    },
    /// The ROI covers no voxel centre of the grid.
    #[error(
        "ROI {roi:?} covers no voxel centre of the grid: it is empty, holds only points or \
         open contours, or lies beside the image; check that the mask belongs to this scan"
    )]
    EmptyRoi {
        /// The ROI's name.
        roi: String,
    },
    /// A contour (or SEG frame) lies beyond the first or last slice of the grid.
    #[error(
        "ROI {roi:?} has a contour or frame at slice index {index:.3} (z = {z:.3} mm), \
         outside the grid's {slices} slices: the mask covers slices the scan lacks; use the \
         full series"
    )]
    OutsideGrid {
        /// The ROI's name.
        roi: String,
        /// The mean patient z coordinate of the contour (or the frame's position), mm.
        z: f64,
        /// The contour's (or frame's) continuous slice index on the grid.
        index: f64,
        /// Number of slices of the grid.
        slices: usize,
    },
    /// A contour's plane is not parallel to the grid's slices.
    #[error(
        "ROI {roi:?} has a contour whose points span {spread:.3} slices: its plane is not \
         parallel to the scan's slices (contours must be drawn on the scan's own slices)"
    )]
    NotParallel {
        /// The ROI's name.
        roi: String,
        /// How far apart, in slices, the contour's points lie.
        spread: f64,
    },
    /// A SEG frame lies between two slices of the grid, or its size differs from the grid's.
    #[error("segment {roi:?}: {reason}")]
    FrameMismatch {
        /// The segment's label.
        roi: String,
        /// What does not fit.
        reason: String,
    },
    /// The grid cannot hold a mask (zero or non-finite spacing, too many voxels).
    #[error("cannot place a mask on this grid: {0}")]
    InvalidGrid(String),
    /// The file is not a well-formed structure set or segmentation.
    #[error("malformed mask file: {0}")]
    Malformed(String),
    /// The file is a DICOM object, but neither an RT Structure Set nor a Segmentation.
    #[error(
        "not a mask: {0}; masks are read from RTSTRUCT and SEG files (SOP Class RT \
         Structure Set Storage or Segmentation Storage)"
    )]
    NotAMask(String),
    /// A well-formed mask file that medprep does not read.
    #[error("unsupported mask file: {0}")]
    Unsupported(String),
    /// The pixel data of a segmentation cannot be decoded (too short, too large, a
    /// codec failure).
    #[error("cannot read the segmentation's pixel data: {0}")]
    Pixels(String),
}

/// `1 "GTV"`, `2 "lung"` for an error message.
fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// Which ROI: a number (ROI Number / Segment Number) when the text is all digits, else a
/// name (exact, then case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoiSelector {
    /// By name: exact first, then ignoring case.
    Name(String),
    /// By ROI Number (RTSTRUCT) or Segment Number (SEG).
    Number(i64),
}

impl FromStr for RoiSelector {
    type Err = Infallible;

    /// All ASCII digits (and within i64) is a number; anything else, a name. A name made
    /// only of digits cannot be chosen by name, which is why numbers are tried first
    /// only for such text.
    fn from_str(text: &str) -> Result<Self, Infallible> {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        Ok(match text.parse::<i64>() {
            Ok(number) if digits => Self::Number(number),
            _ => Self::Name(text.to_owned()),
        })
    }
}

impl fmt::Display for RoiSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(name) => write!(f, "{name:?}"),
            Self::Number(number) => write!(f, "number {number}"),
        }
    }
}

/// How an ROI appears in error messages: `3 "GTV"`.
pub(crate) fn describe(number: i64, name: &str) -> String {
    format!("{number} {name:?}")
}

/// Chooses among ROIs (or segments), each known by `key` as `(number, name)`: by number;
/// by exact name, then by name ignoring case. Shared by RTSTRUCT ROIs and SEG segments
/// so both select alike.
pub(crate) fn select<'a, T>(
    selector: &RoiSelector,
    items: &'a [T],
    key: impl Fn(&T) -> (i64, &str),
) -> Result<&'a T, MaskError> {
    let matching = |keep: &dyn Fn(i64, &str) -> bool| -> Vec<&'a T> {
        items
            .iter()
            .filter(|item| {
                let (number, name) = key(item);
                keep(number, name)
            })
            .collect()
    };
    let found = match selector {
        RoiSelector::Number(wanted) => matching(&|number, _| number == *wanted),
        RoiSelector::Name(wanted) => {
            let exact = matching(&|_, name| name == wanted);
            if exact.is_empty() {
                let wanted = wanted.to_lowercase();
                matching(&|_, name| name.to_lowercase() == wanted)
            } else {
                exact
            }
        }
    };
    let describe_all = |items: &[&T]| -> Vec<String> {
        items
            .iter()
            .map(|item| {
                let (number, name) = key(item);
                describe(number, name)
            })
            .collect()
    };
    match found[..] {
        [only] => Ok(only),
        [] => Err(MaskError::NoSuchRoi {
            wanted: selector.to_string(),
            available: describe_all(&items.iter().collect::<Vec<_>>()),
        }),
        _ => Err(MaskError::AmbiguousRoi {
            wanted: selector.to_string(),
            candidates: describe_all(&found),
        }),
    }
}

/// The only ROI (or segment) of `items`; with several, [`MaskError::AmbiguousRoi`]
/// listing them, so the caller can choose. `what` names the container in the message
/// ("structure set", "segmentation").
pub(crate) fn only<'a, T>(
    items: &'a [T],
    what: &str,
    key: impl Fn(&T) -> (i64, &str),
) -> Result<&'a T, MaskError> {
    match items {
        [only] => Ok(only),
        [] => Err(MaskError::NoSuchRoi {
            wanted: "at all".to_owned(),
            available: Vec::new(),
        }),
        several => Err(MaskError::AmbiguousRoi {
            wanted: format!("no ROI chosen, and the {what}"),
            candidates: several
                .iter()
                .map(|item| {
                    let (number, name) = key(item);
                    describe(number, name)
                })
                .collect(),
        }),
    }
}

/// The number of voxels of `grid`, once it is known to be a grid a mask can be made on:
/// positive finite spacing, finite origin and direction, and no more voxels than
/// [`Limits::max_samples`] allows by default.
pub(crate) fn checked_len(grid: &Grid) -> Result<usize, MaskError> {
    if grid.spacing.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err(MaskError::InvalidGrid(format!(
            "spacing {:?} must be positive and finite",
            grid.spacing
        )));
    }
    if grid
        .origin
        .iter()
        .chain(&grid.direction)
        .any(|v| !v.is_finite())
    {
        return Err(MaskError::InvalidGrid(
            "origin and direction must be finite".to_owned(),
        ));
    }
    let max = Limits::default().max_samples;
    grid.size
        .iter()
        .try_fold(1usize, |n, &s| n.checked_mul(s))
        .filter(|&n| n as u64 <= max)
        .ok_or_else(|| {
            MaskError::InvalidGrid(format!("{:?} voxels exceed the limit of {max}", grid.size))
        })
}

/// Both frames of reference known and different → [`MaskError::FrameOfReference`]. An
/// unknown one (absent from a header, or not carried by the image) is not checked.
pub fn check_frame_of_reference(
    mask_name: &str,
    mask_uid: Option<&str>,
    image_name: &str,
    image_uid: Option<&str>,
) -> Result<(), MaskError> {
    match (mask_uid, image_uid) {
        (Some(mask), Some(image)) if mask.trim() != image.trim() => {
            Err(MaskError::FrameOfReference {
                mask: mask_name.to_owned(),
                image: image_name.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_select_a_number_and_anything_else_a_name() {
        let parse = |s: &str| s.parse::<RoiSelector>().unwrap_or_else(|e| match e {});
        assert_eq!(parse("12"), RoiSelector::Number(12));
        assert_eq!(parse("GTV-1"), RoiSelector::Name("GTV-1".into()));
        assert_eq!(parse("-3"), RoiSelector::Name("-3".into()));
        assert_eq!(parse(""), RoiSelector::Name(String::new()));
        // Too large for i64: kept as a name rather than wrapped or refused.
        assert_eq!(
            parse("99999999999999999999"),
            RoiSelector::Name("99999999999999999999".into())
        );
    }

    #[test]
    fn names_match_exactly_first_then_ignoring_case() {
        let rois = [(1, "GTV"), (2, "gtv"), (3, "Lung")];
        let pick =
            |s: &str| select(&s.parse().unwrap_or_else(|e| match e {}), &rois, |r| *r).map(|r| r.0);
        assert_eq!(pick("gtv").ok(), Some(2));
        assert_eq!(pick("LUNG").ok(), Some(3));
        assert_eq!(pick("3").ok(), Some(3));
        assert!(
            matches!(pick("Gtv"), Err(MaskError::AmbiguousRoi { candidates, .. }) if candidates.len() == 2)
        );
        let err = pick("heart")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(r#"1 "GTV", 2 "gtv", 3 "Lung""#), "{err}");
    }

    #[test]
    fn frames_of_reference_are_named_by_input_never_by_uid() {
        assert!(check_frame_of_reference("rs.dcm", Some("1.2.3"), "ct", Some("1.2.3")).is_ok());
        assert!(check_frame_of_reference("rs.dcm", None, "ct", Some("1.2.3")).is_ok());
        let err = check_frame_of_reference("rs.dcm", Some("1.2.3"), "ct/", Some("1.2.4"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("rs.dcm") && err.contains("ct/"), "{err}");
        assert!(!err.contains("1.2.3") && !err.contains("1.2.4"), "{err}");
    }
}
