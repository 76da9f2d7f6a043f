//! The `medprep` command line: argument definitions and dispatch.

mod decode;
mod info;
mod pack;
mod recipe;
mod run;
mod tables_sql;

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
    Run(run::Args),
    Decode(decode::Args),
    Info(info::Args),
    Pack(pack::Args),
    #[command(subcommand)]
    Recipe(recipe::Command),
    TablesSql(tables_sql::Args),
}

/// An error that stops a command before it can do its job (bad arguments or recipe, no
/// inputs, an unwritable output): exit code 2, like clap's own usage errors.
#[derive(Debug)]
struct Usage(anyhow::Error);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Usage {}

/// Marks an error as one that stops the command (exit code 2).
fn usage(error: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Usage(error.into()))
}

/// stdout was closed by its reader (`medprep info ... | head`): not an error.
#[derive(Debug)]
struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `text` to stdout; a closed stdout ends the command quietly with exit 0.
fn out(text: impl AsRef<str>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_ref().as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write stdout")),
    }
}

/// Runs a parsed command line. Exit codes: 0 success, 1 an input failed, 2 usage error.
pub fn run(cli: Cli) -> ExitCode {
    let outcome = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Info(args) => info::run(args),
        Command::Pack(args) => pack::run(args),
        Command::Recipe(command) => recipe::run(command),
        Command::TablesSql(args) => tables_sql::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) if error.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("medprep: error: {error:#}");
            if error.is::<Usage>() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
