//! The `medprep` command line: argument definitions and dispatch.

mod decode;
mod info;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Medical image preprocessing and feature extraction.
#[derive(Debug, Parser)]
#[command(name = "medprep", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Decode(decode::Args),
    Info(info::Args),
}

/// Runs a parsed command line. Exit codes: 0 success, 1 an input failed, 2 usage error.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Decode(args) => decode::run(args),
        Command::Info(args) => info::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("medprep: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
