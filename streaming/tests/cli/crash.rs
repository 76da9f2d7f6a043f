//! Crash safety of `medprep run`: runs killed with SIGKILL at points spread over the
//! whole run (from start-up to the renames of the final phase), then one run to the
//! end, leave the same rows, images and error records as one clean run: exactly one
//! scans row per image and one features row per frame, readable Parquet files, no
//! `.partial` files and no preprocessed image that the manifest does not list.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow_array::{Array, Int32Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{fixture, scratch};

/// Windowed 16-bit PNG plus first-order statistics: images and feature values to
/// compare, at little cost per image.
const RECIPE: &str = "name = \"crash\"\n\
    normalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
    maps = [{ kind = \"original\" }]\n\
    features = { families = [\"first-order\"] }\n\
    output = { images = \"png\", dtype = \"u16\" }\n";

const FIXTURES: [&str; 8] = [
    "ct_12bit.dcm",
    "ct_jpegls.dcm",
    "ct_rle.dcm",
    "ct_slice.dcm",
    "mono1_xray.dcm",
    "mr_slice.dcm",
    "multiframe_ct.dcm",
    "rgb_secondary_capture.dcm",
];

/// Killed runs per test.
const KILLS: usize = 12;

/// Writes `copies` copies of every fixture into `dir` (`<copy>_<fixture>`, so copies of
/// one image share its UIDs and their image names must be told apart) and one truncated
/// file, which becomes an error record.
fn corpus(dir: &Path, copies: usize) {
    std::fs::create_dir_all(dir).expect("create folder");
    for copy in 0..copies {
        for name in FIXTURES {
            std::fs::copy(fixture(name), dir.join(format!("{copy:02}_{name}"))).expect("copy");
        }
    }
    let bytes = std::fs::read(fixture("ct_slice.dcm")).expect("read fixture");
    std::fs::write(dir.join("99_cut.dcm"), &bytes[..bytes.len() * 2 / 3]).expect("write");
}

/// Starts `medprep run in --out OUT` in `dir` (relative inputs, so clean and crashed
/// runs name their inputs alike).
fn start(dir: &Path, out: &str) -> Child {
    start_with(dir, out, &["--recipe", "crash.toml"])
}

fn start_with(dir: &Path, out: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_medprep"))
        .current_dir(dir)
        .args(["run", "in", "--out", out, "--jobs", "2", "--quiet"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("medprep starts")
}

/// Runs to the end; exit status 1 as the truncated file fails.
fn complete(dir: &Path, out: &str) {
    let status = start(dir, out).wait().expect("wait");
    assert_eq!(status.code(), Some(1), "run into {out}");
}

/// Deterministic fractions in [0, 1.15): a 64-bit LCG (Knuth's MMIX constants).
fn fractions(seed: u64, count: usize) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1_u64 << 53) as f64 * 1.15
        })
        .collect()
}

/// Starts a run and SIGKILLs it: after `delay`, or, without one, as soon as the final
/// phase has renamed `scans.parquet` into place (the other renames and the manifest
/// still to come). A run that ends first is fine too.
fn kill_run(dir: &Path, out: &str, delay: Option<Duration>) {
    kill_run_with(dir, out, delay, &["--recipe", "crash.toml"]);
}

fn kill_run_with(dir: &Path, out: &str, delay: Option<Duration>, args: &[&str]) {
    let mut child = start_with(dir, out, args);
    let partial = dir.join(out).join("scans.parquet.partial");
    let started = Instant::now();
    match delay {
        Some(delay) => std::thread::sleep(delay),
        None => {
            let mut seen = false;
            while started.elapsed() < Duration::from_secs(30) {
                if child.try_wait().expect("poll").is_some() {
                    break;
                }
                let exists = partial.exists();
                if seen && !exists {
                    break;
                }
                seen |= exists;
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }
    // `Child::kill` sends SIGKILL on Unix.
    let _ = child.kill();
    child.wait().expect("wait");
}

/// Kills `KILLS` runs into `out`, spread over `clean` (the duration of a whole run).
fn kill_repeatedly(dir: &Path, out: &str, clean: Duration, seed: u64) {
    let fractions = fractions(seed, KILLS);
    for (i, fraction) in fractions.into_iter().enumerate() {
        let delay = match i {
            0 => Some(Duration::ZERO),
            1 => Some(Duration::from_millis(3)),
            // Every fourth run dies just inside the final phase.
            _ if i % 4 == 3 => None,
            _ => Some(clean.mul_f64(fraction)),
        };
        kill_run(dir, out, delay);
    }
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("list folder")
                    .map(|e| e.expect("entry").path()),
            );
        } else {
            found.insert(path.strip_prefix(dir).expect("inside").to_owned());
        }
    }
    found
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap_or_else(|e| panic!("{} is not readable Parquet: {e}", path.display()))
        .build()
        .expect("reader")
        .map(|b| b.expect("readable batch"))
        .collect()
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<String> {
    let array = batch
        .column_by_name(column)
        .expect("column")
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("string column")
        .clone();
    (0..array.len())
        .map(|i| array.value(i).to_owned())
        .collect()
}

/// The images of each input, as the manifest lists them.
fn images_by_input(out: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(out.join("manifest.json")).expect("manifest written");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
    manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|e| {
            let images = e["images"].as_array().expect("images");
            (
                e["path"].as_str().expect("path").to_owned(),
                images
                    .iter()
                    .map(|i| i.as_str().expect("name").to_owned())
                    .collect(),
            )
        })
        .collect()
}

/// Checks `out` against the clean run's `clean` folder: same tables, error records and
/// images; one row per image and per frame; nothing torn or left over.
fn check_against_clean(out: &Path, clean: &Path, inputs: usize) {
    let listed = files(out);
    let partial: Vec<_> = listed
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "left over: {partial:?}");

    // One scans row per image, one features row per frame, as in the clean run.
    let scans = batches(&out.join("scans.parquet"));
    let paths: Vec<String> = scans
        .iter()
        .flat_map(|b| strings(b, "image_path"))
        .collect();
    let unique: BTreeSet<&String> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len(), "duplicate scans rows");
    let mut frames = Vec::new();
    for batch in batches(&out.join("features.parquet")) {
        let index = batch
            .column_by_name("frame")
            .expect("frame")
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("int column")
            .clone();
        let names = strings(&batch, "image_path");
        frames.extend((0..index.len()).map(|i| (names[i].clone(), index.value(i))));
    }
    let unique_frames: BTreeSet<&(String, i32)> = frames.iter().collect();
    assert_eq!(unique_frames.len(), frames.len(), "duplicate features rows");
    let errors = std::fs::read_to_string(out.join("errors.jsonl")).expect("errors.jsonl");
    assert_eq!(paths.len() + errors.lines().count(), inputs);
    // The rows, values and error records are those of the clean run, byte for byte.
    for name in ["scans.parquet", "features.parquet", "errors.jsonl"] {
        assert!(
            std::fs::read(out.join(name)).expect("read")
                == std::fs::read(clean.join(name)).expect("read"),
            "{name} differs from the clean run's"
        );
    }
    for table in ["scans", "features"] {
        let file = format!("{table}.parquet");
        assert!(
            std::fs::read(out.join("hive").join(table).join(&file)).expect("read")
                == std::fs::read(out.join(&file)).expect("read"),
            "hive/{table} is not the {table} table"
        );
    }

    // The manifest lists exactly the images present, with the clean run's pixels.
    let ours = images_by_input(out);
    let theirs = images_by_input(clean);
    assert_eq!(ours.len(), inputs);
    let present: BTreeSet<PathBuf> = listed
        .iter()
        .filter_map(|p| p.strip_prefix("preprocessed").ok().map(Path::to_owned))
        .collect();
    let in_manifest: BTreeSet<PathBuf> = ours.values().flatten().map(PathBuf::from).collect();
    assert_eq!(present, in_manifest, "preprocessed/ against the manifest");
    for (input, names) in &ours {
        let clean_names = &theirs[input];
        assert_eq!(names.len(), clean_names.len(), "{input}");
        for (name, clean_name) in names.iter().zip(clean_names) {
            assert!(
                std::fs::read(out.join("preprocessed").join(name)).expect("read")
                    == std::fs::read(clean.join("preprocessed").join(clean_name)).expect("read"),
                "image {name} of {input} differs from the clean run's {clean_name}"
            );
        }
    }
}

/// A clean run into `clean`; returns its duration.
fn clean_run(dir: &Path) -> Duration {
    let started = Instant::now();
    complete(dir, "clean");
    started.elapsed()
}

fn setup(name: &str, copies: usize) -> PathBuf {
    let dir = scratch(name);
    corpus(&dir.join("in"), copies);
    std::fs::write(dir.join("crash.toml"), RECIPE).expect("write recipe");
    dir
}

#[test]
fn runs_killed_at_any_point_then_rerun_give_the_rows_of_a_clean_run() {
    let dir = setup("crash-first", 5);
    let inputs = 5 * FIXTURES.len() + 1;
    let clean = clean_run(&dir);
    kill_repeatedly(&dir, "out", clean, 1);
    complete(&dir, "out");
    check_against_clean(&dir.join("out"), &dir.join("clean"), inputs);
}

#[test]
fn runs_killed_after_a_complete_run_keep_one_row_per_image() {
    let dir = setup("crash-rerun", 4);
    // A complete run over part of the inputs; the others, and a changed file, come later
    // and are processed by the killed reruns while the rest is carried over.
    let later = dir.join("later");
    std::fs::create_dir_all(&later).expect("create folder");
    for name in FIXTURES.iter().step_by(2) {
        for copy in [1, 3] {
            let file = format!("{copy:02}_{name}");
            std::fs::rename(dir.join("in").join(&file), later.join(&file)).expect("move");
        }
    }
    complete(&dir, "out");
    for entry in std::fs::read_dir(&later).expect("list folder") {
        let path = entry.expect("entry").path();
        std::fs::rename(&path, dir.join("in").join(path.file_name().expect("name")))
            .expect("move back");
    }
    let changed = dir.join("in").join(format!("02_{}", FIXTURES[5]));
    std::fs::copy(fixture("ct_slice.dcm"), &changed).expect("replace file");

    let inputs = 4 * FIXTURES.len() + 1;
    let clean = clean_run(&dir);
    kill_repeatedly(&dir, "out", clean, 2);
    complete(&dir, "out");
    check_against_clean(&dir.join("out"), &dir.join("clean"), inputs);
}

#[test]
fn a_manifest_always_describes_the_tables_beside_it() {
    // Runs of two recipes in turn (--force), each killed just inside its final phase:
    // whenever a manifest is left, it must be the one of the tables there, never the
    // previous run's beside tables already replaced.
    let dir = setup("crash-manifest", 1);
    std::fs::write(
        dir.join("other.toml"),
        RECIPE.replace("\"crash\"", "\"other\""),
    )
    .expect("write recipe");
    complete(&dir, "out");
    for round in 0..6 {
        let recipe = if round % 2 == 0 {
            "other.toml"
        } else {
            "crash.toml"
        };
        kill_run_with(&dir, "out", None, &["--recipe", recipe, "--force"]);
        let out = dir.join("out");
        let Ok(text) = std::fs::read_to_string(out.join("manifest.json")) else {
            continue;
        };
        let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
        let file = File::open(out.join("scans.parquet")).expect("scans table");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("readable Parquet");
        let toml = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "medprep.recipe"))
            .and_then(|k| k.value.clone())
            .expect("recipe in the table metadata");
        let name = manifest["recipe"].as_str().expect("recipe name");
        assert!(
            toml.contains(&format!("name = \"{name}\"")),
            "round {round}: the manifest of recipe {name:?} beside the tables of\n{toml}"
        );
    }
}
