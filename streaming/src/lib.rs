//! Command-line adapters of medprep: the `medprep` batch tool (and, later, the
//! Hadoop Streaming mapper). Each subcommand lives in its own module under [`cli`];
//! output formats live in [`sinks`]. Binaries only parse arguments and call [`cli::run`].

pub mod cli;
pub mod sinks;
