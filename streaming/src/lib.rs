//! Command-line adapters of medprep: the `medprep` batch tool ([`cli`]) and the Hadoop
//! Streaming mapper `preprocess_image` ([`mapper`]). Both hand their inputs to
//! [`medprep_runner::Runner`] (decoding, the pipeline, the device, batching, the
//! ordered queue) and only write what comes back; output formats live in [`sinks`].
//! Binaries only parse arguments and call [`cli::run`] or [`mapper::run`].
//!
//! `medprep run` is the batch job: it discovers DICOM files by content, streams them
//! through the runner (`--jobs` workers, one writer in input order) and writes Parquet
//! tables of metadata and features ([`sinks::parquet`]), preprocessed images, error
//! records ([`sinks::errors`]) and Hive DDL. `medprep recipe` lists and prints recipes;
//! `medprep decode` and `medprep info` work on single files. With `--pseudonymize`,
//! both tools replace identifiers by keyed pseudonyms.
//!
//! `medprep pack` writes the input records of a Hadoop Streaming job: one path per line,
//! `KEY<TAB>base64:...` lines ([`base64`]), or a stream of Hadoop typed bytes pairs
//! ([`typedbytes`], which also reads such streams).
#![deny(missing_docs)]

pub mod base64;
pub mod cli;
pub mod device;
pub mod mapper;
mod names;
mod pseudonym;
pub mod sinks;
pub mod typedbytes;
