//! Decoding tests, one binary with a module per topic. Expected values are computed
//! from the DICOM standard's definitions in each test, never from medprep's output.

mod bad_input;
mod fixtures;
mod hostile;
mod largest_allocation;
mod mutations;
mod pixel_formats;
mod regressions;
mod support;
