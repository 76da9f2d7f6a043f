//! `read_nifti` and `write_nifti`: NIfTI-1/2 files as `Volume`s.
//!
//! Reading, writing and the geometry rule are core's (`medprep::volume::nifti`); this
//! module picks a time point of a 4-D file and turns errors into `DecodeError` (a file
//! that cannot be read or written) or `ValueError` (a bad argument).

use std::path::PathBuf;

use medprep::volume::nifti;
use medprep::Mask;
use numpy::{PyArray3, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors;
use crate::volume::Volume;

/// Reads a NIfTI-1 or NIfTI-2 file (`.nii`, or gzipped whatever its name) as a float32
/// volume placed as SimpleITK places it; `time_point` picks one volume of a 4-D file.
#[pyfunction]
#[pyo3(signature = (path, *, time_point = None))]
pub fn read_nifti(py: Python<'_>, path: PathBuf, time_point: Option<usize>) -> PyResult<Volume> {
    let name = path.display().to_string();
    let mut volumes = py
        .detach(|| nifti::read_nifti(&path))
        .map_err(|e| errors::DecodeError::new_err(format!("{name}: {e}")))?;
    let count = volumes.len();
    let volume = match time_point {
        None if count == 1 => volumes.swap_remove(0),
        None => {
            return Err(errors::DecodeError::new_err(format!(
                "{name} holds {count} time points, and read_nifti returns one volume; pass \
                 time_point=0 to {}",
                count - 1
            )))
        }
        Some(t) if t < count => volumes.swap_remove(t),
        Some(t) => {
            return Err(PyValueError::new_err(format!(
                "time_point={t}, but {name} holds {count} time point(s)"
            )))
        }
    };
    Ok(Volume::from_core(py, volume, Vec::new()))
}

/// Writes `volume` as NIfTI-1 (gzipped when `path` ends in `.gz`): float32 for a scan,
/// uint8 0/1 for a mask, with qform and sform both giving its grid.
#[pyfunction]
pub fn write_nifti(py: Python<'_>, volume: &Bound<'_, Volume>, path: PathBuf) -> PyResult<()> {
    let grid = volume.get().grid(py)?;
    let pixels = volume.getattr("pixels")?;
    let written = if let Ok(mask) = pixels.cast::<PyArray3<bool>>() {
        let mask = Mask {
            grid,
            voxels: mask.readonly().as_array().iter().copied().collect(),
            roi: String::new(),
        };
        py.detach(|| nifti::write_nifti_mask(&mask, &path))
    } else if let Ok(scan) = pixels.cast::<PyArray3<f32>>() {
        let volume = medprep::Volume {
            grid,
            voxels: scan.readonly().as_array().iter().copied().collect(),
        };
        py.detach(|| nifti::write_nifti(&volume, &path))
    } else {
        return Err(PyTypeError::new_err(
            "a volume holds float32 scan values or a bool mask",
        ));
    };
    written.map_err(|e| errors::DecodeError::new_err(format!("{}: {e}", path.display())))
}
