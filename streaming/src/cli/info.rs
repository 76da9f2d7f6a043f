//! `medprep info FILE...`: header metadata as JSON, without reading pixel data.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use medprep::DicomFile;

/// Print header metadata of DICOM files as JSON (one object per line for several files).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// DICOM files to describe.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let pretty = args.files.len() == 1;
    let mut failed = 0usize;
    for path in &args.files {
        match DicomFile::open_header(path).and_then(|f| f.metadata()) {
            Ok(meta) => {
                let json = if pretty {
                    serde_json::to_string_pretty(&meta)
                } else {
                    serde_json::to_string(&meta)
                };
                super::out(format!("{}\n", json?))?;
            }
            Err(error) => {
                failed += 1;
                eprintln!("medprep: error: {error}");
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
