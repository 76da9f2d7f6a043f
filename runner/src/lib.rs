//! The engine under every medprep adapter: `medprep run`, the Hadoop Streaming mapper
//! `preprocess_image` and the Python module's `Pipeline` hand it tasks and consume its
//! outcomes, and nothing else; none of them decodes, batches or picks a device itself.
//!
//! - [`discover`]: the input files of a batch: files named, and DICOM files found by
//!   content inside named folders.
//! - [`Source`] and [`Task`]: where an input's DICOM bytes come from (a path or bytes
//!   already in memory), or an outcome the adapter already knows (a malformed record).
//! - [`Runner`]: decodes each input under [`medprep::Limits`], runs the recipe's
//!   [`medprep::Pipeline`] on it, and turns a panic into an `internal` failure of that
//!   input alone. On a device that batches ([`medprep::Device::batches`]), consecutive
//!   inputs go through one [`medprep::Pipeline::process_batch`] call together. Outcomes
//!   come back in input order through the bounded queue ([`queue`]), whatever the number
//!   of workers, with [`Counters`] kept as they are consumed and, when asked, a time
//!   [`Budget`] per input.
//! - [`DeviceChoice`] (re-exported from the core): `auto | cpu | gpu`, parsed once and
//!   opened into a [`medprep::Device`].
//! - [`Outcome`]: what became of one input, the rows of its image or an error kind and
//!   message free of header values.
//! - [`tables`]: every output table described once (scans, features, the mapper's rows):
//!   the Arrow schemas and record batches, the Hive DDL and the cells the adapters write
//!   all come from those descriptions.
//! - [`encode`]: the `.npy` and PNG bytes of preprocessed images.
//! - [`montage`]: a PNG of a scan's slices with its ROI outlines (series mode).
//! - [`series`]: series mode: inputs grouped into scans, masks matched to them, each scan
//!   assembled and measured in turn ([`SeriesInputs`]).
//!
//! ```
//! use std::borrow::Cow;
//! use std::path::Path;
//! use medprep::{Pipeline, Recipe};
//! use medprep_runner::{Job, Outcome, Runner, Source, Task};
//!
//! let pipeline = Pipeline::new(Recipe::preset("ct-standard")?)?;
//! let runner = Runner::new(pipeline).with_workers(2);
//! let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ct_slice.dcm"));
//! let tasks = [
//!     Task::new(0, Job::image("ct_slice.dcm", Source::Path(Cow::Borrowed(path)))),
//!     Task::new(1, Job::image("junk", Source::Bytes(Cow::Borrowed(b"not DICOM")))),
//! ];
//! let mut seen = Vec::new();
//! let counters = runner.run(tasks.into_iter().map(Ok), |index, outcome| (index, outcome), |(index, outcome), _, _| {
//!     seen.push((index, matches!(outcome, Outcome::Done { .. })));
//!     Ok(())
//! })?;
//! assert_eq!(seen, [(0, true), (1, false)]);
//! assert_eq!((counters.ok, counters.failed), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod discover;
pub mod encode;
pub mod montage;
mod outcome;
mod process;
pub mod queue;
mod runner;
pub mod series;
mod source;
pub mod tables;

pub use medprep::{DeviceChoice, DeviceError};
pub use outcome::{FrameOut, Outcome};
pub use runner::{Budget, Counters, Runner, Tally};
pub use series::{ScanOut, SeriesEvent, SeriesFailure, SeriesInputs};
pub use source::{Job, Source, Task};
