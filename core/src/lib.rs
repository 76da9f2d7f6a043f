//! medprep: medical image preprocessing and feature extraction.
//!
//! This crate is the core: it decodes DICOM into an [`Image`] model (f32 samples in
//! physical units plus geometry and metadata) and runs a [`Recipe`] on it through a
//! [`Pipeline`] (normalise → resample → feature maps → IBSI statistics), independent of
//! where the bytes came from and where the results go. Adapters (the `medprep` CLI, the
//! Hadoop Streaming mapper, the Python module) call it; it knows nothing of stdin,
//! Parquet or Python.
//!
//! The main types:
//! - [`DicomFile`]: a parsed file, opened from a path or from bytes, or header only
//!   ([`DicomFile::open_header`]) when pixel data is not needed.
//! - [`StoredPixels`]: stored values exactly as `pydicom.Dataset.pixel_array` returns
//!   them (same dtype, shape and values), across native and compressed transfer syntaxes.
//! - [`Image`]: values after the modality LUT (Hounsfield units for CT).
//! - [`Metadata`] and [`Geometry`]: the header fields tables need.
//! - [`Window`]: the intensity window convention of the pipeline.
//! - [`Volume`], [`Mask`] and their [`Grid`] ([`volume`]): scans as volumes in patient
//!   space, the unit of work of series mode.
//! - [`Recipe`] (with named [`recipe::presets`]) and [`Pipeline`], which returns one
//!   [`FrameResult`] of features (and optionally a preprocessed image) per frame.
//! - [`cpu`]: the stages as functions over `ndarray` views, the reference backend.
//! - `gpu` (cargo feature `gpu`, on by default): the same stages as WGSL compute shaders
//!   through wgpu, for the stages ported so far.
//!
//! ```
//! use medprep::{DicomFile, Frames, Limits};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ct_slice.dcm");
//! let file = DicomFile::open(path)?;
//! let image = file.image(Frames::All, &Limits::default())?;
//! assert_eq!(image.meta.modality.as_deref(), Some("CT"));
//! assert_eq!(image.pixels.len(), (image.rows * image.cols) as usize);
//! # Ok::<(), medprep::Error>(())
//! ```
#![deny(missing_docs)]

#[macro_use]
mod decode;

mod column_name;
pub mod cpu;
mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
mod pipeline;
pub mod recipe;
pub mod volume;
mod window;

pub use decode::dicom_file::{is_dicom_file, read_file, DicomFile};
pub use decode::geometry::Geometry;
pub use decode::image::Image;
pub use decode::limits::Limits;
pub use decode::metadata::{Date, Metadata};
pub use decode::modality::Rescale;
pub use decode::pixels::{Frames, StoredPixels};
pub use decode::samples::Samples;
pub use error::{Attribute, Error, ErrorKind, Result};
pub use pipeline::{Device, DeviceChoice, DeviceError, FrameResult, OutputImage, Pipeline};
pub use recipe::{Recipe, RecipeError};
pub use volume::{Grid, Mask, Volume};
pub use window::Window;
