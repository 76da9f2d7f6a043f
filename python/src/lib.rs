//! The native half of the `medprep` Python package (`medprep._native`).
//!
//! The Python package (`python/medprep/`) is the public face; this module gives it:
//! - `read` (module `image`): decode a DICOM file or bytes into an `Image`;
//! - `Pipeline` (module `pipeline`): run a recipe over many inputs on a rayon pool;
//! - the CPU stages as functions over numpy arrays (module `ops`) and IBSI statistics
//!   (module `features`);
//! - `Volume` (module `volume`): scans and masks with their geometry;
//! - `read_series` (module `series`): a folder of slices as one `Volume`;
//! - `read_mask` (module `masks`): RTSTRUCT ROIs rasterised on a volume's grid;
//! - `read_nifti` and `write_nifti` (module `nifti`): NIfTI-1/2 files as `Volume`s;
//! - one exception hierarchy rooted at `MedprepError`, carrying the Rust error messages.
//!
//! Inputs are copied into owned Rust values, or borrowed (numpy arrays read-only, bytes
//! through `PyBackedBytes`), and the GIL is released for the work itself.
#![deny(missing_docs)]

mod errors;
mod features;
mod image;
mod masks;
mod nifti;
mod ops;
mod pipeline;
mod pool;
mod series;
mod volume;

use pyo3::prelude::*;

/// `medprep._native`: the compiled half of `medprep`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MedprepError", py.get_type::<errors::MedprepError>())?;
    m.add("DecodeError", py.get_type::<errors::DecodeError>())?;
    m.add("PipelineError", py.get_type::<errors::PipelineError>())?;
    m.add("RecipeError", py.get_type::<errors::RecipeError>())?;
    m.add("StatsError", py.get_type::<errors::StatsError>())?;
    m.add_class::<image::Image>()?;
    m.add_class::<pipeline::Pipeline>()?;
    m.add_class::<volume::Volume>()?;
    m.add_function(wrap_pyfunction!(image::read, m)?)?;
    m.add_function(wrap_pyfunction!(series::read_series, m)?)?;
    m.add_function(wrap_pyfunction!(nifti::read_nifti, m)?)?;
    m.add_function(wrap_pyfunction!(nifti::write_nifti, m)?)?;
    m.add_function(wrap_pyfunction!(masks::read_mask, m)?)?;
    m.add_function(wrap_pyfunction!(features::compute, m)?)?;
    m.add_function(wrap_pyfunction!(features::compute_volume, m)?)?;
    ops::register(m)?;
    Ok(())
}
