//! `medprep run`: tables, error records, determinism across --jobs, reruns, images.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::{Array, StringArray};
use arrow_schema::{DataType, SchemaRef};
use medprep::{Pipeline, Recipe};
use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{fixture, medprep, python, repo_root, scratch};

/// A recipe that needs no resampling, filter or statistic: decode, original map, tables.
const PLAIN: &str =
    "name = \"plain\"\nmaps = [{ kind = \"original\" }]\nfeatures = { families = [] }\n";

/// Soft-tissue window to 16-bit PNG, no statistics.
const PNG16: &str =
    "name = \"png16\"\nnormalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
                     maps = [{ kind = \"original\" }]\nfeatures = { families = [] }\n\
                     output = { images = \"png\", dtype = \"u16\" }\n";

/// PNG values are the window rounded to 16 bits; the test's own f64 window may round
/// the other way at exact halves.
const PNG_TOLERANCE: i32 = 1;

fn medprep_in(dir: &Path, args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medprep"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("medprep runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write_recipe(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Schema and row count of a Parquet file, read with the parquet crate.
fn parquet_table(path: &Path) -> (SchemaRef, usize) {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("readable Parquet");
    let schema = builder.schema().clone();
    let rows = builder
        .build()
        .expect("reader")
        .map(|b| b.expect("readable batch").num_rows())
        .sum();
    (schema, rows)
}

fn string_column(path: &Path, column: &str) -> Vec<String> {
    let file = File::open(path).expect("open");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("readable Parquet")
        .build()
        .expect("reader");
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.expect("readable batch");
        let array = batch.column_by_name(column).expect("column present");
        let strings = array
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("string column");
        values.extend((0..strings.len()).map(|i| strings.value(i).to_owned()));
    }
    values
}

fn error_lines(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("errors.jsonl"))
        .expect("errors.jsonl written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect()
}

/// Every file under `dir` (relative name → bytes).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("list folder")
                    .map(|e| e.expect("folder entry").path()),
            );
        } else {
            let name = path
                .strip_prefix(dir)
                .expect("inside folder")
                .to_string_lossy()
                .into_owned();
            files.insert(name, std::fs::read(&path).expect("read file"));
        }
    }
    files
}

fn copy_fixture(name: &str, to: &Path) {
    std::fs::copy(fixture(name), to).expect("copy file");
}

#[test]
fn the_default_recipe_over_the_fixtures_writes_both_tables() {
    let out = scratch("run-fixtures").join("out");
    // The README's main job, from the repository root with a relative INPUT.
    let output = medprep_in(
        &repo_root(),
        &[
            "run".as_ref(),
            "fixtures".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
        ],
    );
    let log = stderr(&output);
    // The secondary capture has no pixel spacing, which 1 mm resampling needs.
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(
        log.contains("medprep run: 7 images (10 frames) ok, 1 failed, 1 skipped (not DICOM), 0 done earlier; "),
        "{log}"
    );
    assert!(log.contains("errors.jsonl"), "{log}");
    let errors = error_lines(&out);
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["image_path"],
        "fixtures/rgb_secondary_capture.dcm"
    );
    assert_eq!(errors[0]["kind"], "missing_attribute");

    let pipeline = Pipeline::new(Recipe::preset("ct-standard").expect("preset")).expect("pipeline");
    let (scans, scan_rows) = parquet_table(&out.join("scans.parquet"));
    let (features, feature_rows) = parquet_table(&out.join("features.parquet"));
    assert_eq!(scan_rows, 7);
    assert_eq!(feature_rows, 10);
    assert_eq!(
        scans
            .field_with_name("scan_date")
            .expect("field present")
            .data_type(),
        &DataType::Date32
    );
    assert_eq!(
        scans
            .field_with_name("acquisition_date")
            .expect("field present")
            .data_type(),
        &DataType::Date32
    );
    assert_eq!(features.fields().len(), pipeline.feature_names().len() + 4);
    assert_eq!(features.field(4).name(), &pipeline.feature_names()[0]);
    assert_eq!(features.field(3).data_type(), &DataType::Int32);
    let paths = string_column(&out.join("scans.parquet"), "image_path");
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert!(
        paths.iter().all(|p| p.starts_with("fixtures/")),
        "{paths:?}"
    );
    assert!(string_column(&out.join("scans.parquet"), "recipe")
        .iter()
        .all(|r| r == "ct-standard"));

    let sql = std::fs::read_to_string(out.join("tables.sql")).expect("read file");
    let absolute = out.canonicalize().expect("absolute path");
    assert!(
        sql.contains("CREATE EXTERNAL TABLE IF NOT EXISTS scans ("),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE EXTERNAL TABLE IF NOT EXISTS features ("),
        "{sql}"
    );
    assert!(sql.contains("`scan_date` DATE,"), "{sql}");
    assert!(sql.contains("`frame` INT,"), "{sql}");
    assert!(
        sql.contains(&format!("`{}` DOUBLE", pipeline.feature_names()[0])),
        "{sql}"
    );
    assert_eq!(
        sql.matches(" DOUBLE").count(),
        pipeline.feature_names().len() + 3
    );
    let location = absolute.join("hive/scans");
    assert!(
        sql.contains(&format!("LOCATION '{}';", location.display())),
        "{sql}"
    );
    // Hive reads the folder: it holds exactly the scans table.
    let in_location: Vec<_> = std::fs::read_dir(&location)
        .expect("list folder")
        .map(|e| e.expect("folder entry").file_name())
        .collect();
    assert_eq!(in_location, ["scans.parquet"]);
    assert_eq!(
        std::fs::read(location.join("scans.parquet")).expect("read file"),
        std::fs::read(out.join("scans.parquet")).expect("read file")
    );

    let check = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_tables.py"))
        .arg(&out)
        .args(["7", "10", &pipeline.feature_names().len().to_string()])
        .output()
        .expect("run check_tables.py");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn tables_are_byte_identical_for_any_number_of_jobs() {
    let dir = scratch("run-jobs");
    // Three copies of the fixtures, so results of many images get reordered.
    let many = dir.join("many");
    for copy in ["a", "b", "c"] {
        std::fs::create_dir_all(many.join(copy)).expect("create folder");
        for entry in std::fs::read_dir(repo_root().join("fixtures")).expect("list folder") {
            let path = entry.expect("entry").path();
            std::fs::copy(
                &path,
                many.join(copy).join(path.file_name().expect("file name")),
            )
            .expect("copy file");
        }
    }
    // The full default recipe on fewer images (it is slow in unoptimised test builds).
    let few = dir.join("few");
    std::fs::create_dir_all(&few).expect("create folder");
    for name in ["ct_slice.dcm", "multiframe_ct.dcm", "mr_slice.dcm"] {
        copy_fixture(name, &few.join(name));
    }
    let plain = write_recipe(&dir, "plain.toml", PLAIN);
    for (inputs, recipe, images) in [
        (&many, plain.as_os_str(), 24),
        (&few, "ct-standard".as_ref(), 3),
    ] {
        let run = |jobs: &str| {
            let out = dir.join(format!("out-{jobs}"));
            let _ = std::fs::remove_dir_all(&out);
            let output = medprep(&[
                "run".as_ref(),
                inputs.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--recipe".as_ref(),
                recipe,
                "--jobs".as_ref(),
                jobs.as_ref(),
            ]);
            assert!(
                output.status.code().is_some_and(|c| c <= 1),
                "{}",
                stderr(&output)
            );
            snapshot(&out)
        };
        let one = run("1");
        let three = run("3");
        for name in [
            "scans.parquet",
            "features.parquet",
            "errors.jsonl",
            "manifest.json",
        ] {
            assert!(
                one[name] == three[name],
                "{name} differs between --jobs 1 and 3 ({recipe:?})"
            );
        }
        let (_, scans) = parquet_table(&dir.join("out-3/scans.parquet"));
        let failed = error_lines(&dir.join("out-3")).len();
        assert_eq!((scans + failed, failed), (images, 0), "{recipe:?}");
    }
}

#[test]
fn broken_and_foreign_files_become_error_records() {
    let dir = scratch("run-errors");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("create folder");
    let good = std::fs::read(fixture("ct_slice.dcm")).expect("read file");
    std::fs::write(inputs.join("good.dcm"), &good).expect("write");
    std::fs::write(inputs.join("cut.dcm"), &good[..good.len() / 2]).expect("write");
    std::fs::write(inputs.join("notes.txt"), "not an image").expect("write");
    let named = dir.join("named.txt");
    std::fs::write(&named, "named directly, so it must be reported").expect("write");
    let plain = write_recipe(&dir, "plain.toml", PLAIN);
    let out = dir.join("out");
    let output = medprep(&[
        "run".as_ref(),
        inputs.as_os_str(),
        named.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--recipe".as_ref(),
        plain.as_os_str(),
    ]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{log}");
    assert!(
        log.contains("1 images (1 frames) ok, 2 failed, 1 skipped (not DICOM), 0 done earlier"),
        "{log}"
    );
    assert!(
        log.contains(&format!("errors in {}", out.join("errors.jsonl").display())),
        "{log}"
    );

    let errors = error_lines(&out);
    let kinds: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["image_path"].as_str().expect("a string"),
                e["kind"].as_str().expect("a string"),
            )
        })
        .collect();
    let cut = inputs.join("cut.dcm");
    assert_eq!(
        kinds,
        [
            (cut.to_str().expect("UTF-8 path"), "malformed"),
            (named.to_str().expect("UTF-8 path"), "not_dicom")
        ]
    );
    assert!(errors
        .iter()
        .all(|e| !e["error"].as_str().expect("a string").is_empty()));
    // inputs = ok + failed.
    let (_, scans) = parquet_table(&out.join("scans.parquet"));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("read file"),
    )
    .expect("valid JSON");
    assert_eq!(scans + errors.len(), 3);
    assert_eq!(manifest["inputs"].as_array().expect("inputs list").len(), 3);
    // The fixtures' patient ID never reaches logs or error records.
    let records = std::fs::read_to_string(out.join("errors.jsonl")).expect("read file");
    assert!(!records.contains("SYNTH0001") && !log.contains("SYNTH0001"));
    assert_eq!(
        string_column(&out.join("scans.parquet"), "patient_id"),
        ["SYNTH0001"]
    );
}

#[test]
fn a_rerun_carries_finished_inputs_over_and_redoes_only_the_rest() {
    let dir = scratch("run-rerun");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("create folder");
    copy_fixture("ct_slice.dcm", &inputs.join("a.dcm"));
    copy_fixture("multiframe_ct.dcm", &inputs.join("b.dcm"));
    copy_fixture("mr_slice.dcm", &inputs.join("c.dcm"));
    let good = std::fs::read(fixture("ct_slice.dcm")).expect("read file");
    std::fs::write(inputs.join("cut.dcm"), &good[..good.len() / 2]).expect("write");
    let recipe = write_recipe(
        &dir,
        "npy.toml",
        &format!("{PLAIN}output = {{ images = \"npy\" }}\n"),
    );
    let out = dir.join("out");
    let run = |out: &Path, extra: &[&OsStr]| {
        let mut args: Vec<&OsStr> = vec![
            "run".as_ref(),
            inputs.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--recipe".as_ref(),
            recipe.as_os_str(),
        ];
        args.extend_from_slice(extra);
        medprep(&args)
    };

    let first = run(&out, &[]);
    assert!(stderr(&first)
        .contains("3 images (6 frames) ok, 1 failed, 0 skipped (not DICOM), 0 done earlier"));
    let before = snapshot(&out);
    assert_eq!(
        before
            .keys()
            .filter(|k| k.starts_with("preprocessed/"))
            .count(),
        6
    );

    let second = run(&out, &[]);
    assert_eq!(second.status.code(), Some(1), "the cut file still fails");
    assert!(
        stderr(&second)
            .contains("0 images (0 frames) ok, 1 failed, 0 skipped (not DICOM), 3 done earlier"),
        "{}",
        stderr(&second)
    );
    assert!(
        snapshot(&out) == before,
        "a rerun with nothing new changed the outputs"
    );

    // One input removed, one changed, one added: only the changed and added are redone.
    std::fs::remove_file(inputs.join("a.dcm")).expect("remove file");
    copy_fixture("ct_12bit.dcm", &inputs.join("c.dcm"));
    copy_fixture("mono1_xray.dcm", &inputs.join("d.dcm"));
    let third = run(&out, &[]);
    assert!(
        stderr(&third)
            .contains("2 images (2 frames) ok, 1 failed, 0 skipped (not DICOM), 1 done earlier"),
        "{}",
        stderr(&third)
    );
    let fresh = dir.join("fresh");
    assert_eq!(run(&fresh, &[]).status.code(), Some(1));
    let (rerun, fresh) = (snapshot(&out), snapshot(&fresh));
    for name in ["scans.parquet", "features.parquet", "errors.jsonl"] {
        assert!(
            rerun[name] == fresh[name],
            "{name} of the rerun differs from a fresh run"
        );
    }
    let images = |s: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        s.keys()
            .filter(|k| k.starts_with("preprocessed/"))
            .cloned()
            .collect()
    };
    assert_eq!(images(&rerun), images(&fresh), "stale images are removed");

    // Another recipe is refused without --force.
    let refused = medprep(&[
        "run".as_ref(),
        inputs.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--recipe".as_ref(),
        "ct-standard".as_ref(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let forced = run(&out, &["--force".as_ref()]);
    assert!(stderr(&forced)
        .contains("3 images (6 frames) ok, 1 failed, 0 skipped (not DICOM), 0 done earlier"));
}

#[test]
fn png_output_writes_16_bit_windowed_images() {
    let dir = scratch("run-png");
    let recipe = write_recipe(&dir, "png16.toml", PNG16);
    let out = dir.join("out");
    let slice = fixture("ct_slice.dcm");
    let multi = fixture("multiframe_ct.dcm");
    let output = medprep(&[
        "run".as_ref(),
        slice.as_os_str(),
        multi.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--recipe".as_ref(),
        recipe.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let uid = |path: &Path| -> String {
        let info = medprep(&["info".as_ref(), path.as_os_str()]);
        let json: serde_json::Value = serde_json::from_slice(&info.stdout).expect("valid JSON");
        json["sop_instance_uid"]
            .as_str()
            .expect("a string")
            .to_owned()
    };
    let preprocessed = out.join("preprocessed");
    let mut names: Vec<String> = std::fs::read_dir(&preprocessed)
        .expect("preprocessed folder")
        .map(|e| {
            e.expect("folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let multi_uid = uid(&multi);
    let mut expected: Vec<String> = (0..4).map(|f| format!("{multi_uid}_f{f}.png")).collect();
    expected.push(format!("{}.png", uid(&slice)));
    expected.sort();
    assert_eq!(names, expected);

    let png = image::open(preprocessed.join(format!("{}.png", uid(&slice)))).expect("open");
    let grey = png.as_luma16().expect("16-bit grey PNG");
    assert_eq!(grey.dimensions(), (128, 128));
    // The soft-tissue window (40/400) of the HU values `medprep decode` gives.
    let hu_path = dir.join("hu.npy");
    assert!(medprep(&[
        "decode".as_ref(),
        slice.as_os_str(),
        "--out".as_ref(),
        hu_path.as_os_str()
    ])
    .status
    .success());
    let hu = ArrayD::<f32>::read_npy(File::open(&hu_path).expect("open")).expect("read npy");
    let mut distinct = std::collections::HashSet::new();
    for ((index, value), pixel) in hu.indexed_iter().zip(grey.pixels()) {
        let expected = ((f64::from(*value) + 160.0) / 400.0).clamp(0.0, 1.0) * 65535.0;
        let got = pixel.0[0];
        distinct.insert(got);
        assert!(
            (i32::from(got) - expected.round() as i32).abs() <= PNG_TOLERANCE,
            "pixel {index:?}: got {got}, expected {expected}"
        );
    }
    // 8-bit values widened to 16 bits would all be multiples of 257.
    assert!(
        distinct.len() > 2 && distinct.iter().any(|v| v % 257 != 0),
        "{distinct:?}"
    );
}

#[test]
fn without_input_the_fixtures_folder_is_the_demo() {
    let dir = scratch("run-demo");
    let recipe = write_recipe(&dir, "plain.toml", PLAIN);
    let run = |cwd: &Path| {
        medprep_in(
            cwd,
            &[
                "run".as_ref(),
                "--recipe".as_ref(),
                recipe.as_os_str(),
                "-q".as_ref(),
            ],
        )
    };
    let missing = run(&dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("fixtures"),
        "{}",
        stderr(&missing)
    );
    std::fs::create_dir_all(dir.join("fixtures")).expect("create folder");
    copy_fixture("ct_slice.dcm", &dir.join("fixtures/one.dcm"));
    let demo = run(&dir);
    assert!(demo.status.success(), "{}", stderr(&demo));
    assert_eq!(
        string_column(&dir.join("out/scans.parquet"), "image_path"),
        ["fixtures/one.dcm"]
    );
}

#[test]
fn usage_errors_exit_2_before_writing_anything() {
    let dir = scratch("run-usage");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("create folder");
    std::fs::write(empty.join("notes.txt"), "x").expect("write");
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "x").expect("write");
    let under_a_file = blocker.join("sub");
    let slice = fixture("ct_slice.dcm");
    let out = dir.join("out");
    let cases: [(&[&OsStr], &str); 4] = [
        (
            &[
                slice.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--recipe".as_ref(),
                "nope".as_ref(),
            ],
            "nope",
        ),
        (
            &[empty.as_os_str(), "--out".as_ref(), out.as_os_str()],
            "no DICOM files found",
        ),
        (
            &[
                slice.as_os_str(),
                "--out".as_ref(),
                under_a_file.as_os_str(),
            ],
            "cannot create output folder",
        ),
        (
            &[
                slice.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--jobs".as_ref(),
                "0".as_ref(),
            ],
            "0",
        ),
    ];
    for (args, message) in cases {
        let mut all: Vec<&OsStr> = vec!["run".as_ref()];
        all.extend_from_slice(args);
        let output = medprep(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }
    assert!(!out.exists());
}

#[test]
fn peak_memory_is_reported_on_request() {
    let dir = scratch("run-memory");
    let recipe = write_recipe(&dir, "plain.toml", PLAIN);
    let out = dir.join("out");
    let slice = fixture("ct_slice.dcm");
    let output = Command::new(env!("CARGO_BIN_EXE_medprep"))
        .env("MEDPREP_REPORT_PEAK_MEMORY", "1")
        .args([
            "run".as_ref(),
            slice.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--recipe".as_ref(),
            recipe.as_os_str(),
        ])
        .output()
        .expect("medprep runs");
    assert!(output.status.success());
    let log = stderr(&output);
    let line = log
        .lines()
        .find(|l| l.contains("peak memory (VmHWM)"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains(" kB"), "{line}");
}
