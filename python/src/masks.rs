//! `read_mask`: an ROI of an RTSTRUCT, a DICOM SEG or a NIfTI label map placed on the grid
//! of a scan volume.
//!
//! The grid comes from a `Volume` rather than from the referenced series so that a mask
//! can be laid on any scan the caller has in hand (a series, a NIfTI, a resampled copy):
//! what matters is only where the voxel centres are. A Python `Volume` carries no frame
//! of reference, so the frames are not compared here; the core check
//! (`check_frame_of_reference`) applies where both are known.

use std::path::{Path, PathBuf};

use medprep::volume::mask_error::{MaskError, RoiSelector};
use medprep::volume::mask_file::MaskFile;
use medprep::volume::nifti::read_label_mask;
use medprep::{DicomFile, Grid, Limits, Mask};
use pyo3::prelude::*;

use crate::errors;
use crate::volume::Volume;

/// Reads ROI `roi` (a name, or a number given as digits; None: the only ROI) of the mask
/// file at `path` and places it on the grid of `like`; a bool `Volume`. A name ending in
/// `.nii` or `.nii.gz` is a NIfTI label map, whose ROIs are its label values; anything
/// else is an RTSTRUCT or a SEG, told apart by SOP class.
#[pyfunction]
#[pyo3(signature = (path, like, roi = None))]
pub fn read_mask(
    py: Python<'_>,
    path: PathBuf,
    like: &Volume,
    roi: Option<&str>,
) -> PyResult<Volume> {
    let grid = like.grid(py)?;
    let selector = roi.map(|text| text.parse::<RoiSelector>().unwrap_or_else(|e| match e {}));
    let (mask, warnings) = py
        .detach(|| {
            if is_nifti(&path) {
                label_map_mask(&path, &grid, selector.as_ref()).map(|mask| (mask, Vec::new()))
            } else {
                dicom_mask(&path, &grid, selector.as_ref())
            }
        })
        .map_err(|message: String| errors::DecodeError::new_err(message))?;
    Ok(Volume::from_mask(py, mask, warnings))
}

/// Whether `path` names a NIfTI file (`.nii`, `.nii.gz`, any case).
fn is_nifti(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".nii") || name.ends_with(".nii.gz")
}

/// The ROI of an RTSTRUCT or SEG on `grid`, with the warnings of its reading.
fn dicom_mask(
    path: &Path,
    grid: &Grid,
    selector: Option<&RoiSelector>,
) -> Result<(Mask, Vec<String>), String> {
    let name = path.display();
    let mask_error = |e: MaskError| format!("{name}: {e}");
    let header = DicomFile::open_header(path).map_err(|e| e.to_string())?;
    let mask_file = MaskFile::read(&header).map_err(mask_error)?;
    let chosen = match selector {
        Some(selector) => mask_file.roi(selector),
        None => mask_file.only_roi(),
    }
    .map_err(mask_error)?;
    let limits = Limits::default();
    let whole;
    let file = if mask_file.needs_pixels() {
        whole = DicomFile::open_with_limits(path, &limits).map_err(|e| e.to_string())?;
        &whole
    } else {
        &header
    };
    let mask = chosen.rasterise(file, grid, &limits).map_err(mask_error)?;
    Ok((mask, chosen.warnings().to_vec()))
}

/// One label of a NIfTI label map on `grid`; a label map's ROIs are chosen by number.
fn label_map_mask(
    path: &Path,
    grid: &Grid,
    selector: Option<&RoiSelector>,
) -> Result<Mask, String> {
    let name = path.display();
    let label = match selector {
        None => None,
        Some(RoiSelector::Number(number)) => Some(u32::try_from(*number).map_err(|_| {
            format!("{name}: label {number} is beyond the labels a label map can hold")
        })?),
        Some(RoiSelector::Name(text)) => {
            return Err(format!(
                "{name}: a NIfTI label map's ROIs are its label values; choose one by \
                 number, not by the name {text:?}"
            ))
        }
    };
    read_label_mask(path, grid, label).map_err(|e| format!("{name}: {e}"))
}
