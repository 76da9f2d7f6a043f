//! `decode-throughput DIR [--repeat N] [--min-seconds S] [--limit K] [--dump OUT]`
//!
//! Loads every `.dcm` file of DIR into memory, then decodes each one to Hounsfield
//! units (parse from bytes, decode, modality LUT) on the calling thread only, N times
//! over (default 1; more whole passes while less than S seconds have passed, default 0),
//! and prints `{"images": n, "seconds": s, "images_per_s": x}`. File I/O is not
//! timed. One untimed decode of the first file warms caches and allocators first.
//!
//! `--limit K` uses only the first K files (by name); `--dump OUT` also writes each
//! file's HU values as raw little-endian f32 to `OUT/<name>.f32` (untimed), for
//! comparing with other decoders.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use medprep::{DicomFile, Frames, Image, Limits};

/// The allocator the medprep binaries use (see `streaming/src/bin/medprep.rs`), so the
/// measurement matches them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use medprep_benches::{load_dir, LoadedFile};

const USAGE: &str =
    "usage: decode-throughput DIR [--repeat N] [--min-seconds S] [--limit K] [--dump OUT]";

#[derive(Debug)]
struct Args {
    dir: PathBuf,
    repeat: u32,
    min_seconds: f64,
    limit: Option<usize>,
    dump: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args_os().skip(1);
    let mut dir = None;
    let mut repeat = 1;
    let mut min_seconds = 0.0;
    let mut limit = None;
    let mut dump = None;
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.to_str() {
            Some("--repeat") => {
                let v = value("--repeat")?;
                repeat = v
                    .to_str()
                    .and_then(|s| s.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        format!("--repeat: not a positive integer: {}", v.to_string_lossy())
                    })?;
            }
            Some("--limit") => {
                let v = value("--limit")?;
                limit = Some(
                    v.to_str()
                        .and_then(|s| s.parse().ok())
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            format!("--limit: not a positive integer: {}", v.to_string_lossy())
                        })?,
                );
            }
            Some("--min-seconds") => {
                let v = value("--min-seconds")?;
                min_seconds = v
                    .to_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| {
                        format!(
                            "--min-seconds: not a number of seconds: {}",
                            v.to_string_lossy()
                        )
                    })?;
            }
            Some("--dump") => dump = Some(PathBuf::from(value("--dump")?)),
            Some("-h" | "--help") => return Err(USAGE.to_owned()),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => {
                return Err(format!(
                    "unexpected argument {}\n{USAGE}",
                    arg.to_string_lossy()
                ))
            }
        }
    }
    let dir = dir.ok_or_else(|| USAGE.to_owned())?;
    Ok(Args {
        dir,
        repeat,
        min_seconds,
        limit,
        dump,
    })
}

fn decode(file: &LoadedFile) -> Result<Image, medprep::Error> {
    DicomFile::from_bytes(file.name.as_str(), &file.bytes)?.image(Frames::All, &Limits::default())
}

fn run(args: &Args) -> Result<(), String> {
    let mut files = load_dir(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    if let Some(limit) = args.limit {
        files.truncate(limit);
    }
    let first = files
        .first()
        .ok_or_else(|| format!("{}: no .dcm files", args.dir.display()))?;
    std::hint::black_box(decode(first).map_err(|e| e.to_string())?);

    let start = Instant::now();
    let mut checksum = 0.0_f64;
    let mut passes = 0_u64;
    while passes < u64::from(args.repeat) || start.elapsed().as_secs_f64() < args.min_seconds {
        passes += 1;
        for file in &files {
            let image = decode(std::hint::black_box(file)).map_err(|e| e.to_string())?;
            checksum += f64::from(
                std::hint::black_box(&image)
                    .pixels
                    .first()
                    .copied()
                    .unwrap_or(0.0),
            );
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(checksum);

    if let Some(out) = &args.dump {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        for file in &files {
            let image = decode(file).map_err(|e| e.to_string())?;
            let bytes: Vec<u8> = image.pixels.iter().flat_map(|v| v.to_le_bytes()).collect();
            let path = out.join(format!("{}.f32", file.name));
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }

    let images = files.len() as u64 * passes;
    println!(
        "{{\"images\": {images}, \"seconds\": {seconds:.6}, \"images_per_s\": {:.3}}}",
        images as f64 / seconds
    );
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("decode-throughput: {message}");
            ExitCode::FAILURE
        }
    }
}
