//! IBSI statistics of a numpy array, optionally inside a boolean ROI mask, and the
//! series-mode features of a volume ROI.

use medprep::cpu::stats::{self, Discretisation};
use medprep::recipe::SeriesSettings;
use medprep::volume::radiomics::{feature_columns, roi_features, RadiomicsError};
use medprep::{Grid, Limits, Mask, Volume};
use numpy::{PyReadonlyArray3, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors;

/// Every statistic of `values` in IBSI order, as a dict (see `medprep.features.compute`).
#[pyfunction]
#[pyo3(name = "_compute", signature = (values, mask, bins, bin_width))]
pub fn compute<'py>(
    py: Python<'py>,
    values: PyReadonlyArrayDyn<'py, f32>,
    mask: Option<PyReadonlyArrayDyn<'py, bool>>,
    bins: Option<u32>,
    bin_width: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let discretisation = match (bins, bin_width) {
        (Some(n), None) => Discretisation::Bins(n),
        (None, Some(w)) => Discretisation::BinWidth(w),
        (None, None) => Discretisation::None,
        (Some(_), Some(_)) => {
            return Err(PyValueError::new_err("give bins or bin_width, not both"))
        }
    };
    if values.ndim() == 0 {
        return Err(PyValueError::new_err("values must have at least one axis"));
    }
    let view = values.as_array();
    let mask_view = mask.as_ref().map(|m| m.as_array());
    let pool = crate::pool::get(None)?;
    let features = py
        .detach(|| pool.install(|| stats::compute(view, mask_view, discretisation)))
        .map_err(|e| errors::from_stats(&e))?;
    let out = PyDict::new(py);
    for (name, value) in features {
        out.set_item(name, value)?;
    }
    Ok(out)
}

/// Named feature values, then the morphological and intensity voxel counts.
type VolumeFeatures = (Vec<(String, f64)>, usize, usize);

/// IBSI features of a volume ROI under series-mode settings (see
/// `medprep.features.compute_volume`): `(column, value)` pairs in column order, then the
/// morphological and intensity voxel counts.
#[pyfunction]
#[pyo3(name = "_compute_volume", signature = (values, mask, spacing, settings))]
pub fn compute_volume(
    py: Python<'_>,
    values: PyReadonlyArray3<'_, f32>,
    mask: PyReadonlyArray3<'_, bool>,
    spacing: (f64, f64, f64),
    settings: &str,
) -> PyResult<VolumeFeatures> {
    let settings: SeriesSettings = serde_json::from_str(settings)
        .map_err(|e| PyValueError::new_err(format!("feature settings: {e}")))?;
    settings.validate().map_err(PyValueError::new_err)?;
    let [nz, ny, nx] = *values.shape() else {
        return Err(PyValueError::new_err("values must be 3-D (z, y, x)"));
    };
    if mask.shape() != values.shape() {
        return Err(PyValueError::new_err(format!(
            "the mask has shape {:?} but the values have shape {:?}",
            mask.shape(),
            values.shape()
        )));
    }
    let grid = Grid {
        size: [nx, ny, nz],
        spacing: [spacing.0, spacing.1, spacing.2],
        origin: [0.0; 3],
        direction: Grid::IDENTITY,
    };
    let volume = Volume {
        grid: grid.clone(),
        voxels: values.as_array().iter().copied().collect(),
    };
    let roi = Mask {
        grid,
        voxels: mask.as_array().iter().copied().collect(),
        roi: "roi".into(),
    };
    let pool = crate::pool::get(None)?;
    let limit = usize::try_from(Limits::default().max_samples).unwrap_or(usize::MAX);
    let measured = py
        .detach(|| pool.install(|| roi_features(&volume, &roi, &settings, limit)))
        .map_err(|e| match e {
            RadiomicsError::Stats(e) => errors::from_stats(&e),
            other => errors::StatsError::new_err(other.to_string()),
        })?;
    let columns = feature_columns(&settings);
    Ok((
        columns
            .into_iter()
            .map(|c| c.name)
            .zip(measured.values)
            .collect(),
        measured.morphological_voxels,
        measured.intensity_voxels,
    ))
}
