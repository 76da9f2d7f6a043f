//! `preprocess_image`: records in, rows out in order, features equal to `medprep run`'s,
//! error rows, Hadoop counters, typed bytes, exit codes and a closed stdout.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use medprep_cli::base64;
use medprep_cli::sinks::parquet::TableReader;
use medprep_cli::typedbytes::{self, Value};
use medprep_runner::tables::FeatureRow;

use super::{counters, fixture, mapper, mapper_env, medprep, rows, schema, scratch};

/// Features of `medprep run` on `files` by (image_path, frame).
fn run_features(files: &[&Path], out: &Path) -> BTreeMap<(String, i32), Vec<f64>> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["run".as_ref(), "--quiet".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    args.extend(["--out".as_ref(), out.as_os_str()]);
    let status = medprep(&args).status.code();
    assert!(matches!(status, Some(0 | 1)), "medprep run: {status:?}");
    let mut reader: TableReader<FeatureRow> =
        TableReader::open(&out.join("features.parquet")).expect("features table");
    let mut features = BTreeMap::new();
    while let Some(row) = reader.next_row().expect("row") {
        features.insert((row.image_path, row.frame), row.features);
    }
    features
}

fn parse_double(text: &str) -> f64 {
    match text {
        "NaN" => f64::NAN,
        "Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        other => other.parse().expect("a number"),
    }
}

#[test]
fn each_record_gives_its_rows_in_order_with_the_features_of_medprep_run() {
    let dir = scratch("mapper-order");
    let names = [
        "ct_slice.dcm",
        "ct_12bit.dcm",
        "ct_rle.dcm",
        "ct_jpegls.dcm",
        "mr_slice.dcm",
        "multiframe_ct.dcm",
        "rgb_secondary_capture.dcm",
    ];
    let files: Vec<_> = names.iter().map(|n| fixture(n)).collect();
    let paths: Vec<&Path> = files.iter().map(|f| f.as_path()).collect();
    let expected = run_features(&paths, &dir.join("run"));

    let not_dicom = dir.join("notes.txt");
    std::fs::write(&not_dicom, "not an image").expect("write");
    let ct = fixture("ct_slice.dcm");
    let mut input = String::new();
    for file in &files {
        input.push_str(&format!("{}\n", file.display()));
    }
    input.push_str(&format!("{}\n", not_dicom.display()));
    input.push_str("/no/such/file.dcm\n");
    input.push('\n');
    input.push_str(&format!(
        "k1\tk2\tbase64:{}\n",
        base64::encode(&std::fs::read(&ct).expect("read"))
    ));
    input.push_str("k1\tk2\tbase64:not base64!\n");
    input.push_str("hdfs://namenode/raw/x.dcm\n");
    let records = input.lines().count() as u64;

    let out = mapper(&["--jobs", "2"], input.as_bytes());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let columns = schema(&[]);
    let text = String::from_utf8(out.stdout.clone()).expect("UTF-8");
    // Key columns vary by record here: parse the keyless rows with the schema, the
    // keyed ones after dropping their two key fields.
    let mut lines = text.lines();
    let mut ok = 0;
    let mut compared = 0;
    for file in &files {
        let name = file.display().to_string();
        let frames = if name.ends_with("multiframe_ct.dcm") {
            4
        } else {
            1
        };
        for frame in 0..frames {
            let line = lines.next().expect("a row per frame");
            let row = &rows(line.as_bytes(), &columns)[0];
            assert_eq!(row["image_path"], name);
            if let Some(features) = expected.get(&(name.clone(), frame)) {
                assert_eq!(row["status"], "ok", "{name}");
                assert_eq!(row["frame"], frame.to_string());
                for (column, value) in columns.iter().skip(21).zip(features) {
                    let got = parse_double(&row[column]);
                    assert!(
                        got.to_bits() == value.to_bits() || (got.is_nan() && value.is_nan()),
                        "{name} {column}: {got} != {value}"
                    );
                    compared += 1;
                }
                ok += 1;
            } else {
                assert_eq!(row["status"], "error", "{name}");
                assert_eq!(row["error_kind"], "missing_attribute");
                assert_eq!(row["frame"], "\\N");
            }
        }
    }
    assert_eq!(ok, 9);
    assert!(compared > 9 * 150, "{compared} values compared");
    let errors: Vec<(&str, &str)> = [
        ("not_dicom", "notes.txt"),
        ("io", "/no/such/file.dcm"),
        ("bad_record", "\\N"),
    ]
    .into_iter()
    .collect();
    for (kind, path) in errors {
        let row = &rows(lines.next().expect("error row").as_bytes(), &columns)[0];
        assert_eq!(row["status"], "error");
        assert_eq!(row["error_kind"], kind);
        assert!(row["image_path"].ends_with(path), "{}", row["image_path"]);
        assert!(row["patient_id"] == "\\N" && row["original_mean"] == "\\N");
        assert_ne!(row["error"], "\\N");
    }
    let keyed: Vec<String> = std::iter::once("k1".to_owned())
        .chain(std::iter::once("k2".to_owned()))
        .chain(columns.iter().cloned())
        .collect();
    let base64_row = &rows(lines.next().expect("base64 row").as_bytes(), &keyed)[0];
    assert_eq!(
        (base64_row["k1"].as_str(), base64_row["status"].as_str()),
        ("k1", "ok")
    );
    assert_eq!(base64_row["image_path"], "\\N");
    let path_row_of_ct = expected
        .get(&(ct.display().to_string(), 0))
        .expect("ct_slice features");
    assert_eq!(
        parse_double(&base64_row["original_mean"]).to_bits(),
        path_row_of_ct[0].to_bits()
    );
    let bad = &rows(lines.next().expect("bad base64 row").as_bytes(), &keyed)[0];
    assert_eq!(
        (bad["status"].as_str(), bad["error_kind"].as_str()),
        ("error", "bad_record")
    );
    let hdfs = &rows(lines.next().expect("hdfs row").as_bytes(), &columns)[0];
    assert_eq!(hdfs["error_kind"], "unsupported_uri");
    assert_eq!(hdfs["image_path"], "hdfs://namenode/raw/x.dcm");
    assert!(lines.next().is_none());

    let counted = counters(&out.stderr);
    assert_eq!(counted["records_ok"] + counted["records_failed"], records);
    assert_eq!(counted["records_failed"], 6);
    assert_eq!(counted["error_bad_record"], 2);
    assert!(counted["bytes_read"] > 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reporter:status:medprep done: 13 records (7 ok, 6 failed)"),
        "{stderr}"
    );
    // Nothing from a header reaches stderr.
    assert!(!stderr.contains("SYNTH0001"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn typed_bytes_pairs_come_back_with_their_keys() {
    let ct = std::fs::read(fixture("ct_slice.dcm")).expect("read");
    let mut input = Vec::new();
    let pairs = [
        (Value::Long(7), Value::Bytes(ct.clone())),
        (
            Value::String("p2".into()),
            Value::String(fixture("ct_rle.dcm").display().to_string()),
        ),
        (Value::Int(9), Value::Double(1.0)),
        (Value::Int(10), Value::Bytes(b"nope".to_vec())),
    ];
    for (key, value) in &pairs {
        typedbytes::write_value(&mut input, key).expect("write");
        typedbytes::write_value(&mut input, value).expect("write");
    }
    let out = mapper(&["--io", "typedbytes"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = typedbytes::Reader::new(out.stdout.as_slice());
    let mut statuses = Vec::new();
    for (key, _) in &pairs {
        let (got_key, value) = reader
            .next_pair()
            .expect("pair")
            .expect("a pair per record");
        assert_eq!(&got_key, key);
        let Value::Map(entries) = value else {
            panic!("a map of columns, got {value:?}")
        };
        let get = |name: &str| {
            entries
                .iter()
                .find(|(k, _)| k == &Value::String(name.into()))
                .map(|(_, v)| v.clone())
        };
        statuses.push(get("status"));
        if get("status") == Some(Value::String("ok".into())) {
            assert!(matches!(get("original_mean"), Some(Value::Double(_))));
            assert_eq!(get("rows"), Some(Value::Long(128)));
            assert_eq!(get("error"), None, "nulls are left out");
        }
    }
    assert!(reader.next_pair().expect("clean end").is_none());
    let text = |s: &str| Some(Value::String(s.into()));
    assert_eq!(
        statuses,
        [text("ok"), text("ok"), text("error"), text("error")]
    );
    // Auto-detection takes the same stream as typed bytes and writes TSV.
    let auto = mapper(&[], &input);
    assert!(auto.status.success());
    assert_eq!(String::from_utf8_lossy(&auto.stdout).lines().count(), 4);
}

#[test]
fn a_corrupt_typed_bytes_stream_fails_the_task_after_the_records_before_it() {
    let mut input = Vec::new();
    typedbytes::write_value(&mut input, &Value::Int(1)).expect("write");
    typedbytes::write_value(&mut input, &Value::Bytes(b"x".to_vec())).expect("write");
    input.extend_from_slice(&[7, 0, 0, 0, 50, b'a']);
    let out = mapper(&["--io", "typedbytes", "--output", "tsv"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("corrupt typed bytes stream on stdin at byte"),
        "{stderr}"
    );
}

#[test]
fn declared_key_columns_are_checked_and_name_the_schema() {
    // As in `SELECT TRANSFORM(patient_id, image_path) USING 'preprocess_image'`: the
    // path is the record's value, the patient id its one key column.
    let columns = schema(&["--key-columns", "patient_id_in"]);
    assert_eq!(&columns[..3], ["patient_id_in", "status", "image_path"]);
    let ct = fixture("ct_slice.dcm").display().to_string();
    let input = format!("P1\t{ct}\n{ct}\nA\tB\t{ct}\n");
    let out = mapper(&["--key-columns", "patient_id_in"], input.as_bytes());
    assert!(out.status.success());
    let rows = rows(&out.stdout, &columns);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (
            rows[0]["patient_id_in"].as_str(),
            rows[0]["status"].as_str()
        ),
        ("P1", "ok")
    );
    for row in &rows[1..] {
        assert_eq!(row["status"], "error");
        assert_eq!(row["error_kind"], "bad_record");
        assert!(
            row["error"].contains("--key-columns names 1"),
            "{}",
            row["error"]
        );
    }
    assert_eq!(rows[2]["patient_id_in"], "A");
    assert_eq!(rows[2]["image_path"], ct);

    let ddl = mapper(
        &[
            "--key-columns",
            "pid",
            "--hive-ddl",
            "raw_features",
            "/data/x",
        ],
        b"",
    );
    assert!(ddl.status.success());
    let sql = String::from_utf8(ddl.stdout).expect("UTF-8");
    assert!(
        sql.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS raw_features (\n  `pid` STRING,\n")
    );
    let recipe = medprep::Recipe::preset("ct-standard").expect("preset");
    let features = medprep::Pipeline::new(recipe)
        .expect("pipeline")
        .feature_names()
        .len();
    // The features, and pixel spacing (row, column) and slice thickness.
    assert_eq!(sql.matches("` DOUBLE").count(), features + 3);
    assert!(sql.contains("  `scan_date` DATE,\n"));
}

#[test]
fn an_overlong_record_becomes_an_error_row_and_reading_goes_on() {
    let ct = fixture("ct_slice.dcm").display().to_string();
    let input = format!("key\t{}\n{ct}\n", "x".repeat(5000));
    let out = mapper(&["--max-record-bytes", "1000"], input.as_bytes());
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("key\terror\t"), "{}", &lines[0][..40]);
    assert!(lines[0].contains("too_large\tthe record is 5004 bytes long"));
    assert!(lines[1].starts_with("ok\t"));
}

#[test]
fn json_lines_carry_the_same_columns() {
    let ct = fixture("ct_slice.dcm").display().to_string();
    let out = mapper(&["--output", "jsonl"], format!("K\t{ct}\n").as_bytes());
    assert!(out.status.success());
    let row: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(row["key"], serde_json::json!(["K"]));
    assert_eq!(row["status"], "ok");
    assert_eq!(row["scan_date"], "2024-01-02");
    assert!(row["original_mean"].is_f64());
    assert!(row["error"].is_null());
    assert_eq!(
        row.as_object().expect("object").len(),
        schema(&[]).len() + 1
    );
}

#[test]
fn usage_errors_exit_2_and_a_closed_stdout_ends_quietly() {
    let bad = mapper(&["--recipe", "no-such-recipe"], b"x\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no-such-recipe"));

    let ct = fixture("ct_slice.dcm").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_preprocess_image"))
        .args(["--jobs", "1", "--recipe", "radiomics-ibsi"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        for _ in 0..2000 {
            if writeln!(stdin, "{ct}").is_err() {
                break;
            }
        }
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first row");
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("exits");
    writer.join().expect("writer");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn status_lines_keep_coming_while_the_input_waits() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_preprocess_image"))
        .args(["--status-interval", "1"])
        .env("mapreduce_task_id", "task_1_0001_m_000003")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdin = child.stdin.take().expect("stdin");
    std::thread::sleep(Duration::from_millis(2600));
    drop(stdin);
    let out = child.wait_with_output().expect("ends");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let running = stderr
        .lines()
        .filter(|l| l.starts_with("reporter:status:medprep task_1_0001_m_000003 running"))
        .count();
    assert!(running >= 2, "{stderr}");
}

#[test]
fn side_outputs_go_to_the_task_work_folder() {
    let dir = scratch("mapper-side");
    let recipe = dir.join("png.toml");
    std::fs::write(
        &recipe,
        "name = \"png8\"\nnormalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
         maps = [{ kind = \"original\" }]\nfeatures = { families = [\"first-order\"] }\n\
         output = { images = \"png\", dtype = \"u8\" }\n",
    )
    .expect("write recipe");
    let recipe = recipe.display().to_string();
    let work = dir.join("attempt_1");
    let input = format!(
        "{}\n{}\n/no/such.dcm\n",
        fixture("ct_slice.dcm").display(),
        fixture("multiframe_ct.dcm").display()
    );
    let args = ["--recipe", recipe.as_str(), "--parquet", "--images"];
    let out = mapper_env(
        &args,
        input.as_bytes(),
        &[
            ("mapreduce_task_output_dir", work.to_str().expect("UTF-8")),
            ("mapreduce_task_id", "task_1_0001_m_000007"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tsv_rows = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(tsv_rows, 1 + 4 + 1);

    let side = work.join("_medprep");
    let table = side.join("features/part-task_1_0001_m_000007.parquet");
    let mut reader: TableReader<FeatureRow> = TableReader::open(&table).expect("features");
    let mut frames = 0;
    while let Some(row) = reader.next_row().expect("row") {
        assert!(row.image_path.ends_with(".dcm"));
        frames += 1;
    }
    assert_eq!(frames, 5, "the ok frames, not the failed record");
    assert!(side
        .join("scans/part-task_1_0001_m_000007.parquet")
        .is_file());
    let mut images: Vec<String> = std::fs::read_dir(side.join("preprocessed"))
        .expect("images folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    images.sort();
    assert_eq!(images.len(), 5, "{images:?}");
    assert!(images.iter().all(|n| n.ends_with(".png")));
    assert!(!images.iter().any(|n| n.ends_with(".partial")));

    // Outside a Hadoop task, side outputs need a folder.
    let refused = mapper(&args, b"");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--side-output"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn relative_paths_are_taken_from_the_folder_of_a_local_input_file() {
    let dir = scratch("mapper-relative");
    std::fs::create_dir_all(dir.join("scans")).expect("folder");
    std::fs::copy(fixture("ct_slice.dcm"), dir.join("scans/a.dcm")).expect("copy");
    let list = dir.join("batch1.txt");
    std::fs::write(&list, "scans/a.dcm\n").expect("write list");
    let uri = format!("file:{}", list.display());
    let out = mapper_env(&[], b"scans/a.dcm\n", &[("mapreduce_map_input_file", &uri)]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with("ok\tscans/a.dcm\t0\t"), "{text}");
    // Without the job environment the path is relative to the working folder.
    let alone = mapper(&[], b"scans/a.dcm\n");
    assert!(String::from_utf8_lossy(&alone.stdout).starts_with("error\tscans/a.dcm\t"));
    // An input file in HDFS gives no folder to resolve against.
    let hdfs = mapper_env(
        &[],
        b"scans/a.dcm\n",
        &[("mapreduce_map_input_file", "hdfs://nn/x.txt")],
    );
    assert!(String::from_utf8_lossy(&hdfs.stdout).starts_with("error\t"));
    std::fs::remove_dir_all(&dir).expect("clean up");
}
