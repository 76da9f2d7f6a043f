//! `medprep`: the batch command-line tool. Thin glue over the `medprep` library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = medprep_cli::cli::Cli::parse();
    medprep_cli::cli::run(cli)
}
