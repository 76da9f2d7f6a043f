//! The CPU backend: every pipeline stage as a plain function over `ndarray` views, run on
//! all cores with rayon. These functions are the reference implementation; the GPU stages
//! must agree with them within named tolerances.
//!
//! Conventions (docs/architecture.md, numeric conventions): scipy.ndimage for filters,
//! the ITK/SimpleITK grid for resampling and IBSI for statistics.

pub mod filters;
pub mod resample;
pub mod stats;
