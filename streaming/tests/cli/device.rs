//! `--device`: `medprep run --device gpu` writes the features of `--device cpu` within
//! the feature tolerance, `gpu` without an adapter is a usage error, `auto` names its
//! choice. Without a GPU adapter the GPU comparison prints a skip notice and passes;
//! with `MEDPREP_REQUIRE_GPU=1` it fails instead, as the core GPU tests.

use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::Output;

use arrow_array::{Array, Float64Array};
use medprep::{Pipeline, Recipe};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{fixture, scratch};
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
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_medprep"));
    command.arg("run").arg(fixture("ct_slice.dcm")).args([
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

/// The one row of features.parquet, in `names` order.
fn feature_row(path: &Path, names: &[String]) -> Vec<f64> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let batches: Vec<_> = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("readable Parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("readable batch"))
        .collect();
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    let batch = batches.iter().find(|b| b.num_rows() == 1).expect("one row");
    names
        .iter()
        .map(|name| {
            let column = batch.column_by_name(name).expect("feature column");
            let values = column
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("f64 column");
            values.value(0)
        })
        .collect()
}

#[test]
fn run_on_the_gpu_writes_the_features_of_the_cpu_within_tolerance() {
    let dir = scratch("device-gpu");
    let gpu = run_on("gpu", &dir.join("gpu"), &[]);
    let stderr = String::from_utf8_lossy(&gpu.stderr);
    if gpu.status.code() == Some(2) && stderr.contains(NO_GPU) {
        let required =
            std::env::var("MEDPREP_REQUIRE_GPU").is_ok_and(|v| !v.is_empty() && v != "0");
        assert!(
            !required,
            "MEDPREP_REQUIRE_GPU is set but there is no usable GPU: {stderr}"
        );
        eprintln!(
            "SKIPPED gpu test run_on_the_gpu_writes_the_features_of_the_cpu_within_tolerance: \
             {stderr} (MEDPREP_REQUIRE_GPU=1 makes this a failure)"
        );
        return;
    }
    assert_eq!(gpu.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("medprep: device gpu ("), "{stderr}");
    let cpu = run_on("cpu", &dir.join("cpu"), &[]);
    assert_eq!(
        cpu.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cpu.stderr)
    );

    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    let names = pipeline.feature_names();
    let want = feature_row(&dir.join("cpu/features.parquet"), names);
    let got = feature_row(&dir.join("gpu/features.parquet"), names);
    let by_name = |name: &str| want[names.iter().position(|n| n == name).expect("name")];
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, name) in names.iter().enumerate() {
        if ill_conditioned(name, by_name) {
            continue;
        }
        compared += 1;
        if !agree(got[i], want[i]) {
            failures.push(format!("{name}: gpu {} cpu {}", got[i], want[i]));
        }
    }
    assert!(compared > 150, "{compared} features compared");
    assert!(
        failures.is_empty(),
        "features beyond {ABS} + {REL} |cpu|:\n{}\ngpu {got:?}\ncpu {want:?}",
        failures.join("\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
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
