//! `medprep pack`: the input records of a Hadoop Streaming job, one per DICOM file.
//!
//! Files are found like `medprep run` finds them ([`discover`]) and written one at a
//! time, so memory holds one file whatever the number of inputs.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use super::usage;
use crate::sinks::{self, partial_path};
use crate::{base64, typedbytes};
use medprep_runner::discover::discover;

/// Write Hadoop Streaming input records for the `preprocess_image` mapper.
///
/// Folders are searched recursively and files are taken by content (the DICOM `DICM`
/// marker), so extensions do not matter; other files in folders are counted as skipped.
/// Files named directly are always packed. There is one record per file, in sorted path
/// order, keyed by the path as found from the INPUT given: give paths as the mappers will
/// see them (with `--format paths`, on a file system every task can read).
///
/// `paths` records suit NLineInputFormat (the mapper opens each file), `base64` records
/// carry the images inside any text input, and a `typedbytes` stream becomes a job input
/// for `-io typedbytes` once Hadoop Streaming's `loadtb` has stored it as a SequenceFile.
///
/// A path with a tab, newline or carriage return cannot be a line record, and a path
/// that is not UTF-8 cannot be a record key: such paths are listed on stderr and left
/// out, as are files that cannot be read; the other records are still written.
///
/// With --out, the records go to FILE.partial, renamed to FILE once complete.
///
/// Exit status: 0 when every file became a record, 1 when some were left out, 2 when
/// nothing could be packed (no inputs found, unwritable output).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// DICOM files, or folders to search recursively.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Record format.
    #[arg(long, value_enum, default_value_t = Format::Paths)]
    format: Format,
    /// Output file [default: standard output].
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// How each file becomes a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One path per line.
    Paths,
    /// `PATH<TAB>base64:DATA` per line, DATA the file in padded standard base64.
    Base64,
    /// Hadoop typed bytes pairs: the path as a string, the file as bytes.
    Typedbytes,
}

/// What packing one file came to.
enum Packed {
    Written,
    /// The path cannot be a record key in this format.
    Unpackable,
    /// The file could not be read or is too large (the reason is already on stderr).
    Failed,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let found = discover(&args.inputs).map_err(usage)?;
    if found.files.is_empty() {
        return Err(usage(anyhow!(
            "no DICOM files found ({} other file(s) skipped)",
            found.skipped
        )));
    }
    let (sink, target): (Box<dyn Write>, String) = match &args.out {
        Some(out) => {
            let partial = partial_path(out);
            let file = File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))
                .map_err(usage)?;
            (Box::new(file), out.display().to_string())
        }
        None => (Box::new(io::stdout().lock()), "standard output".to_owned()),
    };
    let mut sink = BufWriter::with_capacity(1 << 16, sink);

    let mut unpackable = Vec::new();
    let mut failed = 0usize;
    let written = (|| -> io::Result<usize> {
        let mut written = 0;
        for path in &found.files {
            match pack(&mut sink, path, args.format)? {
                Packed::Written => written += 1,
                Packed::Unpackable => unpackable.push(path),
                Packed::Failed => failed += 1,
            }
        }
        sink.flush()?;
        Ok(written)
    })();
    let written = match written {
        Ok(written) => written,
        // The reader stopped early (`| head`): a normal end, as for any filter.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe && args.out.is_none() => {
            return Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Some(out) = &args.out {
                let _ = std::fs::remove_file(partial_path(out));
            }
            return Err(usage(anyhow!(e).context(format!("cannot write {target}"))));
        }
    };
    drop(sink);
    if let Some(out) = &args.out {
        sinks::finish(out).map_err(usage)?;
    }

    for path in &unpackable {
        eprintln!("medprep pack: cannot be a record: {path:?}");
    }
    if !unpackable.is_empty() {
        let reason = match args.format {
            Format::Paths | Format::Base64 => {
                "a tab, newline or carriage return in a line record, or not UTF-8"
            }
            Format::Typedbytes => "not UTF-8",
        };
        eprintln!(
            "medprep pack: skipped {} path(s) that cannot be records ({reason})",
            unpackable.len()
        );
    }
    let skipped_note = if found.skipped > 0 {
        format!(
            "; skipped {} non-DICOM file(s) found in folders",
            found.skipped
        )
    } else {
        String::new()
    };
    let failed_note = if failed > 0 {
        format!("; {failed} file(s) could not be packed")
    } else {
        String::new()
    };
    eprintln!(
        "medprep pack: {written} {} record(s) to {target}{skipped_note}{failed_note}",
        args.format.name()
    );
    Ok(if unpackable.is_empty() && failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Paths => "paths",
            Format::Base64 => "base64",
            Format::Typedbytes => "typedbytes",
        }
    }
}

/// Writes the record of one file. Only failures of `sink` are errors.
fn pack(sink: &mut impl Write, path: &Path, format: Format) -> io::Result<Packed> {
    let Some(key) = path.to_str() else {
        return Ok(Packed::Unpackable);
    };
    let line_format = matches!(format, Format::Paths | Format::Base64);
    if line_format && key.contains(['\t', '\n', '\r']) {
        return Ok(Packed::Unpackable);
    }
    if format == Format::Paths {
        sink.write_all(key.as_bytes())?;
        sink.write_all(b"\n")?;
        return Ok(Packed::Written);
    }
    let content = match std::fs::read(path) {
        Ok(content) => content,
        Err(e) => {
            eprintln!("medprep pack: error: cannot read {}: {e}", path.display());
            return Ok(Packed::Failed);
        }
    };
    if format == Format::Base64 {
        sink.write_all(key.as_bytes())?;
        sink.write_all(b"\tbase64:")?;
        sink.write_all(base64::encode(&content).as_bytes())?;
        sink.write_all(b"\n")?;
    } else {
        // Checked before the key goes out, so a refused value cannot leave a lone key.
        if i32::try_from(content.len()).is_err() {
            eprintln!(
                "medprep pack: error: {} is too large for a typed bytes record ({} bytes, at most 2^31 - 1)",
                path.display(),
                content.len()
            );
            return Ok(Packed::Failed);
        }
        typedbytes::write_string(sink, key)?;
        typedbytes::write_bytes(sink, &content)?;
    }
    Ok(Packed::Written)
}
