//! Command-line adapters of medprep: the `medprep` batch tool and the Hadoop Streaming
//! mapper `preprocess_image` ([`mapper`]). Each subcommand lives in its own module under
//! [`cli`]; output formats live in [`sinks`]; both tools take inputs through
//! [`process`] (decode and pipeline, never panicking) and [`queue`] (bounded, ordered
//! parallel work). Binaries only parse arguments and call [`cli::run`] or [`mapper::run`].
//!
//! `medprep run` is the batch job: it discovers DICOM files by content, streams them
//! through a bounded work queue (decode and the recipe's pipeline on `--jobs` threads,
//! one writer in input order) and writes Parquet tables of metadata and features
//! ([`sinks::parquet`]), preprocessed images ([`sinks::npy`], [`sinks::png`]), error
//! records ([`sinks::errors`]) and Hive DDL ([`sinks::hive_ddl`]). `medprep recipe`
//! lists and prints recipes; `medprep decode` and `medprep info` work on single files.
//! With `--pseudonymize`, both tools replace identifiers by keyed pseudonyms
//! ([`pseudonym`]).
//!
//! `medprep pack` writes the input records of a Hadoop Streaming job: one path per line,
//! `KEY<TAB>base64:...` lines ([`base64`]), or a stream of Hadoop typed bytes pairs
//! ([`typedbytes`], which also reads such streams).

pub mod base64;
pub mod cli;
pub mod device;
pub mod mapper;
pub mod names;
pub mod process;
pub mod pseudonym;
pub mod queue;
pub mod sinks;
pub mod typedbytes;
