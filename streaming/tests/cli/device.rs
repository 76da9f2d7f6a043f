//! `--device`: `medprep run --device gpu` writes the features of `--device cpu` within
//! the feature tolerance, on the fixture and on slices of the benchmark corpus; `gpu`
//! without an adapter is a usage error; `auto` names its choice. Without a GPU adapter
//! the GPU comparisons print a skip notice and pass; with `MEDPREP_REQUIRE_GPU=1` they
//! fail instead, as the core GPU tests.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Output};

use arrow_array::{Array, Float64Array, Int32Array, StringArray};
use medprep::{Pipeline, Recipe};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{fixture, mapper, python, repo_root, rows, schema, scratch};
use crate::feature_tolerance::{agree, ill_conditioned, ABS, REL};

/// A backend wgpu does not build for this platform, so no adapter can match it.
const ABSENT_BACKEND: &str = if cfg!(target_os = "macos") {
    "dx12"
} else {
    "metal"
};

/// What `medprep` prints when `--device gpu` finds no GPU.
const NO_GPU: &str = "device \"gpu\" needs a GPU and none is usable";

fn run_on(device: &str, out: &Path, env: &[(&str, &str)]) -> Output {
    run_over(&fixture("ct_slice.dcm"), device, out, env)
}

fn run_over(input: &Path, device: &str, out: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_medprep"));
    command.arg("run").arg(input).args([
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--recipe"),
        OsStr::new("ct-standard"),
        OsStr::new("--device"),
        OsStr::new(device),
        OsStr::new("--quiet"),
    ]);
    command.envs(env.iter().copied());
    command.output().expect("medprep runs")
}

/// Every row of features.parquet: image path and frame → features in `names` order.
fn feature_rows(path: &Path, names: &[String]) -> BTreeMap<(String, i32), Vec<f64>> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = BTreeMap::new();
    for batch in ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("readable Parquet")
        .build()
        .expect("reader")
    {
        let batch = batch.expect("readable batch");
        let column = |name: &str| batch.column_by_name(name).expect("column").clone();
        let paths = column("image_path");
        let paths = paths.as_any().downcast_ref::<StringArray>().expect("paths");
        let frames = column("frame");
        let frames = frames
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("frames");
        let features: Vec<_> = names.iter().map(|name| column(name)).collect();
        for row in 0..batch.num_rows() {
            let values = features
                .iter()
                .map(|c| {
                    let c = c.as_any().downcast_ref::<Float64Array>().expect("f64");
                    c.value(row)
                })
                .collect();
            rows.insert((paths.value(row).to_owned(), frames.value(row)), values);
        }
    }
    rows
}

/// Whether `medprep run --device gpu` found a GPU; without one, prints a skip notice for
/// `test`, or fails under `MEDPREP_REQUIRE_GPU=1`.
fn found_a_gpu(run: &Output, test: &str) -> bool {
    if no_gpu(run, test) {
        return false;
    }
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("medprep: device gpu ("), "{stderr}");
    true
}

/// Whether a `--device gpu` run stopped for want of a GPU, which skips `test` with a
/// notice, or fails it under `MEDPREP_REQUIRE_GPU=1`.
fn no_gpu(run: &Output, test: &str) -> bool {
    let stderr = String::from_utf8_lossy(&run.stderr);
    if run.status.code() != Some(2) || !stderr.contains(NO_GPU) {
        return false;
    }
    let required = std::env::var("MEDPREP_REQUIRE_GPU").is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(
        !required,
        "MEDPREP_REQUIRE_GPU is set but there is no usable GPU: {stderr}"
    );
    eprintln!("SKIPPED gpu test {test}: {stderr} (MEDPREP_REQUIRE_GPU=1 makes this a failure)");
    true
}

/// Runs `input` on the GPU and on the CPU and compares every row's ct-standard
/// features; returns how many rows were compared, or `None` without a GPU.
fn gpu_against_cpu(input: &Path, dir: &Path, test: &str) -> Option<usize> {
    let gpu = run_over(input, "gpu", &dir.join("gpu"), &[]);
    if !found_a_gpu(&gpu, test) {
        return None;
    }
    let cpu = run_over(input, "cpu", &dir.join("cpu"), &[]);
    assert_eq!(
        cpu.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cpu.stderr)
    );
    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    let names = pipeline.feature_names();
    let want = feature_rows(&dir.join("cpu/features.parquet"), names);
    let got = feature_rows(&dir.join("gpu/features.parquet"), names);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the same rows on both devices"
    );
    let mut failures = Vec::new();
    for (key, want) in &want {
        let got = &got[key];
        let by_name = |name: &str| want[names.iter().position(|n| n == name).expect("name")];
        let mut compared = 0;
        for (i, name) in names.iter().enumerate() {
            if ill_conditioned(name, by_name) {
                continue;
            }
            compared += 1;
            if !agree(got[i], want[i]) {
                failures.push(format!("{key:?} {name}: gpu {} cpu {}", got[i], want[i]));
            }
        }
        assert!(compared > 150, "{key:?}: {compared} features compared");
    }
    assert!(
        failures.is_empty(),
        "features beyond {ABS} + {REL} |cpu|:\n{}",
        failures.join("\n")
    );
    Some(want.len())
}

#[test]
fn run_on_the_gpu_writes_the_features_of_the_cpu_within_tolerance() {
    let dir = scratch("device-gpu");
    let test = "run_on_the_gpu_writes_the_features_of_the_cpu_within_tolerance";
    if let Some(rows) = gpu_against_cpu(&fixture("ct_slice.dcm"), &dir, test) {
        assert_eq!(rows, 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The GPU backend's acceptance run: `medprep run --recipe ct-standard --device gpu`
/// over 512 × 512 slices of the project's synthetic chest CT (`scripts/gen_corpus.py`,
/// the benchmark corpus), uncompressed and RLE, from the lung apices to the liver.
#[test]
fn the_benchmark_corpus_on_the_gpu_matches_the_cpu() {
    let dir = scratch("device-corpus");
    let corpus = dir.join("corpus");
    let made = Command::new(python())
        .arg(repo_root().join("scripts/gen_corpus.py"))
        .arg(&corpus)
        .args(["--n", "6", "--size", "512", "--slice-thickness", "45"])
        .args(["--syntax", "explicit,rle", "--quiet"])
        .output()
        .expect("python runs");
    assert!(
        made.status.success(),
        "gen_corpus.py: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let test = "the_benchmark_corpus_on_the_gpu_matches_the_cpu";
    if let Some(rows) = gpu_against_cpu(&corpus, &dir, test) {
        assert_eq!(rows, 12);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The mapper's rows for `stdin` on `device`, as maps of column name to field; `None`
/// when `--device gpu` finds no GPU (a skip notice, or a failure under
/// `MEDPREP_REQUIRE_GPU=1`).
fn mapper_rows(device: &str, stdin: &str, test: &str) -> Option<Vec<BTreeMap<String, String>>> {
    let done = mapper(&["--device", device, "--jobs", "2"], stdin.as_bytes());
    if device == "gpu" && no_gpu(&done, test) {
        return None;
    }
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    if device == "gpu" {
        assert!(
            stderr.contains("reporter:status:medprep device gpu ("),
            "{stderr}"
        );
    }
    Some(rows(&done.stdout, &schema(&[])))
}

/// The mapper on the GPU (records in batches through `Pipeline::process_batch`) gives
/// the rows of the CPU: same order, same metadata and error rows, features within the
/// feature tolerance; a missing file in the middle stays an error row in its place.
#[test]
fn the_mapper_on_the_gpu_gives_the_rows_of_the_cpu_in_order() {
    let test = "the_mapper_on_the_gpu_gives_the_rows_of_the_cpu_in_order";
    let missing = fixture("no_such_file.dcm");
    let inputs = [
        fixture("ct_slice.dcm"),
        fixture("ct_rle.dcm"),
        missing.clone(),
        fixture("multiframe_ct.dcm"),
        fixture("ct_12bit.dcm"),
    ];
    let stdin: String = inputs
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    let Some(gpu) = mapper_rows("gpu", &stdin, test) else {
        return;
    };
    let cpu = mapper_rows("cpu", &stdin, test).expect("the CPU always runs");
    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    let names = pipeline.feature_names();
    assert_eq!(gpu.len(), cpu.len(), "the same number of rows");
    let paths: Vec<&str> = cpu.iter().map(|r| r["image_path"].as_str()).collect();
    let missing = missing.display().to_string();
    let at = paths
        .iter()
        .position(|p| *p == missing)
        .expect("an error row for the missing file");
    assert_eq!(cpu[at]["status"], "error");
    assert!(at >= 2 && at + 2 < paths.len(), "in the middle: {paths:?}");
    let mut failures = Vec::new();
    for (row, (got, want)) in gpu.iter().zip(&cpu).enumerate() {
        for (column, value) in want {
            if !names.contains(column) {
                assert_eq!(&got[column], value, "row {row}, column {column}");
            }
        }
        if want["status"] != "ok" {
            continue;
        }
        let number = |r: &BTreeMap<String, String>, name: &str| -> f64 {
            match r[name].as_str() {
                "NaN" => f64::NAN,
                text => text.parse().expect("a number"),
            }
        };
        let by_name = |name: &str| number(want, name);
        for name in names {
            if ill_conditioned(name, by_name) {
                continue;
            }
            let (g, w) = (number(got, name), number(want, name));
            if !agree(g, w) {
                failures.push(format!(
                    "row {row} ({}) {name}: gpu {g} cpu {w}",
                    want["image_path"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "features beyond {ABS} + {REL} |cpu|:\n{}",
        failures.join("\n")
    );
}

#[test]
fn gpu_without_an_adapter_is_a_usage_error() {
    let dir = scratch("device-no-adapter");
    let out = dir.join("out");
    let done = run_on("gpu", &out, &[("WGPU_BACKEND", ABSENT_BACKEND)]);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(NO_GPU), "{stderr}");
    assert!(stderr.contains("no GPU adapter"), "{stderr}");
    assert!(!out.join("features.parquet").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn auto_names_the_device_it_chose_without_paths() {
    let dir = scratch("device-auto");
    let done = run_on("auto", &dir.join("out"), &[]);
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("medprep: device auto: "))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("medprep: device auto: cpu, because ")
            || lines[0].starts_with("medprep: device auto: gpu ("),
        "{stderr}"
    );
    assert!(!lines[0].contains("ct_slice"), "{stderr}");
    // Without a GPU backend for the platform, auto runs on the CPU and says why.
    let done = run_on(
        "auto",
        &dir.join("absent"),
        &[("WGPU_BACKEND", ABSENT_BACKEND)],
    );
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("medprep: device auto: cpu, because no GPU adapter"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
