//! Decode throughput of a 512×512 16-bit CT slice, per transfer syntax.
//!
//! Files come from the benchmark corpus (`$MEDPREP_BENCH_CORPUS`, else
//! `target/bench-corpus`; see `benches/compare/README.md`), one subdirectory per
//! transfer syntax. Bytes are loaded before timing: every benchmark measures parsing
//! from memory plus decoding, never file I/O (hence `from_memory` in the names).
//! Throughput is one element per image, so criterion's elem/s reads as images/s.
//!
//! Without a corpus, only an uncompressed slice is benchmarked: `fixtures/ct_slice.dcm`
//! if it is a 512×512 16-bit single-frame image, else a synthetic slice built in memory.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use medprep::{DicomFile, Frames, Limits};
use medprep_benches::{
    corpus_dir, load_dir, synthetic_ct_slice, LoadedFile, CORPUS_COMMAND, CORPUS_ENV, SYNTAXES,
};

/// Slices per syntax the benchmark cycles through, so one slice's content does not decide.
const SLICES: usize = 8;

/// Up to [`SLICES`] decodable 512×512 16-bit single-frame files of `dir`.
fn slices_of(dir: &Path) -> Vec<LoadedFile> {
    let files = match load_dir(dir) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("skipping {}: {e}", dir.display());
            return Vec::new();
        }
    };
    files.into_iter().filter(is_ct_slice).take(SLICES).collect()
}

fn is_ct_slice(file: &LoadedFile) -> bool {
    let meta =
        DicomFile::header_from_bytes(file.name.as_str(), &file.bytes).and_then(|f| f.metadata());
    match meta {
        Ok(m) => {
            (
                m.rows,
                m.cols,
                m.frames,
                m.bits_allocated,
                m.samples_per_pixel,
            ) == (512, 512, 1, 16, 1)
        }
        Err(e) => {
            eprintln!("skipping {e}");
            false
        }
    }
}

/// The uncompressed slice used when there is no corpus.
fn fallback_slice() -> LoadedFile {
    let fixture = medprep_benches::workspace_root()
        .join("fixtures")
        .join("ct_slice.dcm");
    if let Ok(bytes) = std::fs::read(&fixture) {
        let file = LoadedFile {
            name: "fixtures/ct_slice.dcm".into(),
            bytes,
        };
        if is_ct_slice(&file) {
            eprintln!("benchmarking fixtures/ct_slice.dcm only");
            return file;
        }
    }
    eprintln!("benchmarking a synthetic 512x512 explicit VR little endian slice built in memory");
    LoadedFile {
        name: "synthetic.dcm".into(),
        bytes: synthetic_ct_slice(),
    }
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(1))
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group
}

/// Benchmarks `decode` on the slices, one slice per iteration, in turn.
fn bench_cycling<T>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    slices: &[LoadedFile],
    decode: fn(&LoadedFile) -> T,
) {
    for slice in slices {
        // Fail loudly before timing rather than benchmarking an error path.
        black_box(decode(slice));
    }
    let mut next = 0;
    group.bench_function(id, |b| {
        b.iter(|| {
            let slice = &slices[next];
            next = (next + 1) % slices.len();
            decode(black_box(slice))
        });
    });
}

fn parsed(slice: &LoadedFile) -> DicomFile {
    DicomFile::from_bytes(slice.name.as_str(), &slice.bytes).expect("benchmark slice parses")
}

fn to_hu(slice: &LoadedFile) -> Vec<f32> {
    parsed(slice)
        .image(Frames::All, &Limits::default())
        .expect("benchmark slice decodes")
        .pixels
}

fn to_stored(slice: &LoadedFile) -> medprep::StoredPixels {
    parsed(slice)
        .stored_pixels(Frames::All, &Limits::default())
        .expect("benchmark slice decodes")
}

fn decode(c: &mut Criterion) {
    let corpus = corpus_dir();
    let mut sets: Vec<(&str, Vec<LoadedFile>)> = Vec::new();
    if corpus.is_dir() {
        for syntax in SYNTAXES {
            let dir = corpus.join(syntax);
            if dir.is_dir() {
                let slices = slices_of(&dir);
                if slices.is_empty() {
                    eprintln!("no 512x512 16-bit slices in {}", dir.display());
                } else {
                    sets.push((syntax, slices));
                }
            }
        }
    } else {
        eprintln!(
            "no benchmark corpus at {} (set {CORPUS_ENV}, or create it from the repository root with\n    {CORPUS_COMMAND}\n)",
            corpus.display()
        );
    }
    if !sets.iter().any(|(syntax, _)| *syntax == "explicit") {
        sets.insert(0, ("explicit", vec![fallback_slice()]));
    }

    let mut hu = group(c, "decode_to_hu");
    for (syntax, slices) in &sets {
        bench_cycling(&mut hu, &format!("{syntax}/from_memory"), slices, to_hu);
    }
    hu.finish();

    let mut stored = group(c, "stored_pixels");
    for (syntax, slices) in sets.iter().filter(|(syntax, _)| *syntax == "explicit") {
        bench_cycling(
            &mut stored,
            &format!("{syntax}/from_memory"),
            slices,
            to_stored,
        );
    }
    stored.finish();

    let mut parse = group(c, "parse_only");
    for (syntax, slices) in sets.iter().filter(|(syntax, _)| *syntax == "explicit") {
        bench_cycling(&mut parse, &format!("{syntax}/from_memory"), slices, parsed);
    }
    parse.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
