//! `read_mask`: an RTSTRUCT ROI rasterised on the grid of a scan volume.
//!
//! The grid comes from a `Volume` rather than from the referenced series so that a mask
//! can be laid on any scan the caller has in hand (a series, a NIfTI, a resampled copy):
//! what matters is only where the voxel centres are. A Python `Volume` carries no frame
//! of reference, so the frames are not compared here; the core check
//! (`check_frame_of_reference`) applies where both are known.

use std::path::PathBuf;

use medprep::volume::mask_error::{MaskError, RoiSelector};
use medprep::volume::rtstruct::StructureSet;
use medprep::DicomFile;
use pyo3::prelude::*;

use crate::errors;
use crate::volume::Volume;

/// Reads ROI `roi` (a name, or a number given as digits; None: the only ROI) of the
/// RTSTRUCT at `path` and rasterises it on the grid of `like`; a bool `Volume`.
#[pyfunction]
#[pyo3(signature = (path, like, roi = None))]
pub fn read_mask(
    py: Python<'_>,
    path: PathBuf,
    like: &Volume,
    roi: Option<&str>,
) -> PyResult<Volume> {
    let grid = like.grid(py)?;
    let name = path.display().to_string();
    let selector = roi.map(|text| text.parse::<RoiSelector>().unwrap_or_else(|e| match e {}));
    let (mask, warnings) = py
        .detach(|| {
            let file = DicomFile::open_header(&path).map_err(|e| e.to_string())?;
            let mask_error = |e: MaskError| format!("{name}: {e}");
            let set = StructureSet::read(&file).map_err(mask_error)?;
            let chosen = match &selector {
                Some(selector) => set.roi(selector),
                None => set.only_roi(),
            }
            .map_err(mask_error)?;
            let mask = chosen.rasterise(&grid).map_err(mask_error)?;
            Ok((mask, chosen.warnings().to_vec()))
        })
        .map_err(|message: String| errors::DecodeError::new_err(message))?;
    Ok(Volume::from_mask(py, mask, warnings))
}
