//! CPU ops against independent references (scipy, SimpleITK, scikit-image, published IBSI
//! values). Python scripts beside these modules write the reference outputs at test time;
//! the Rust side reads them and compares with named tolerances.

mod support;

#[path = "../common/feature_tolerance.rs"]
mod feature_tolerance;

mod filters;
mod pipeline;
mod resample;
mod stats;
