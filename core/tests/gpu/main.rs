//! The GPU backend: every stage against its CPU twin on random and real images
//! (`parity`, `correlate`, `stats`), the pipeline on the GPU device against the CPU pipeline
//! (`pipeline`), the batched pipeline with its host↔device traffic (`batch`), the device
//! limits (`limits`), and the build-time shader validation (`shaders`).
//!
//! Without an adapter the GPU tests print a visible skip notice and pass; with
//! `MEDPREP_REQUIRE_GPU=1` (set by the test script in CI, where lavapipe provides Vulkan)
//! a missing adapter fails them.

// A failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod batch;
mod correlate;
#[path = "../common/feature_tolerance.rs"]
mod feature_tolerance;
mod limits;
mod parity;
mod pipeline;
mod shaders;
mod stats;
mod support;
