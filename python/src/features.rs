//! IBSI statistics of a numpy array, optionally inside a boolean ROI mask.

use medprep::cpu::stats::{self, Discretisation};
use numpy::{PyReadonlyArrayDyn, PyUntypedArrayMethods};
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
