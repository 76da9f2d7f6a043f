//! `medprep decode`: pixel data to `.npy`, as stored values (`--raw`) or after the modality LUT.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use medprep::{DicomFile, Frames, Limits};

use crate::sinks::{self, npy};
use medprep_runner::discover::{discover, Found};

/// Decode DICOM pixel data to numpy `.npy` files.
///
/// With one input file, OUT is the `.npy` file to write. With several inputs or a
/// directory, OUT is a directory and each image becomes `<file name>.npy` in it.
/// Files found inside directories are taken when their content is DICOM (the `DICM`
/// marker); the others are counted and reported as skipped.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// DICOM files, or directories to search recursively.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output `.npy` file (one input) or directory (several inputs).
    #[arg(long, short)]
    out: PathBuf,
    /// Write stored values exactly as `pydicom.Dataset.pixel_array` (same dtype and
    /// shape) instead of float32 after the modality LUT.
    #[arg(long)]
    raw: bool,
    /// Decode only this frame (zero-based).
    #[arg(long)]
    frame: Option<u32>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let frames = args.frame.map_or(Frames::All, Frames::One);
    let single = args.inputs.len() == 1 && args.inputs[0].is_file();
    if single {
        decode_one(&args.inputs[0], &args.out, args.raw, frames)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Found { files, skipped } = discover(&args.inputs)?;
    std::fs::create_dir_all(&args.out)?;
    let mut failed = 0usize;
    for file in &files {
        let name = file
            .file_name()
            .map_or_else(|| "image".into(), |n| n.to_string_lossy().into_owned());
        let target = args
            .out
            .join(format!("{}.npy", sinks::safe_file_name(&name)));
        if let Err(error) = decode_one(file, &target, args.raw, frames) {
            failed += 1;
            eprintln!("medprep: error: {error:#}");
        }
    }
    let skipped_note = if skipped > 0 {
        format!("; skipped {skipped} non-DICOM file(s) found in folders")
    } else {
        String::new()
    };
    eprintln!(
        "medprep: decoded {} of {} file(s) into {}{skipped_note}",
        files.len() - failed,
        files.len(),
        args.out.display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn decode_one(input: &Path, out: &Path, raw: bool, frames: Frames) -> Result<()> {
    let file = DicomFile::open(input)?;
    let limits = Limits::default();
    if raw {
        let stored = file.stored_pixels(frames, &limits)?;
        let shape = stored.shape();
        npy::write_samples(out, stored.samples, &shape)
    } else {
        let image = file.image(frames, &limits)?;
        let shape = image.shape();
        npy::write(out, image.pixels, &shape)
    }
}
