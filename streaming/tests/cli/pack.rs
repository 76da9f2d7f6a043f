//! `medprep pack`: the records of each format, files found by content, unpackable
//! paths, atomic output.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use medprep_cli::typedbytes::{Reader, Value};

use super::{fixture, medprep, python, scratch};

/// The eight fixtures, as `medprep pack` finds them in their folder: sorted paths.
fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .expect("fixtures folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension() == Some(OsStr::new("dcm")))
        .collect();
    files.sort();
    assert_eq!(files.len(), 8, "the fixtures changed; update this test");
    files
}

fn pack(args: &[&OsStr]) -> Output {
    let mut all: Vec<&OsStr> = vec!["pack".as_ref()];
    all.extend_from_slice(args);
    medprep(&all)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8 records")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn key(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

/// Runs tests/check_records.py, the standard-library reader, on a records file.
fn check_with_python(format: &str, records: &Path, count: usize) {
    let check = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_records.py"))
        .arg(format)
        .arg(records)
        .arg(count.to_string())
        .output()
        .expect("run check_records.py");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn paths_are_one_per_line_and_folders_are_searched_by_content() {
    let dir = scratch("pack-paths");
    let inputs = dir.join("in");
    std::fs::create_dir_all(inputs.join("sub")).expect("folders");
    std::fs::copy(fixture("ct_slice.dcm"), inputs.join("a.dcm")).expect("copy");
    // Taken by content, whatever the extension.
    std::fs::copy(fixture("mr_slice.dcm"), inputs.join("sub/b.bin")).expect("copy");
    std::fs::write(inputs.join("notes.dcm"), "not an image").expect("write");
    // Named directly: packed although it is not DICOM.
    let named = dir.join("named.txt");
    std::fs::write(&named, "not an image either").expect("write");

    let output = pack(&[inputs.as_os_str(), named.as_os_str()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        [
            key(&inputs.join("a.dcm")),
            key(&inputs.join("sub/b.bin")),
            key(&named)
        ]
    );
    assert!(
        stderr(&output).contains("skipped 1 non-DICOM file(s)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn base64_records_decode_to_the_file_bytes() {
    let dir = scratch("pack-base64");
    let out = dir.join("records.txt");
    let output = pack(&[
        fixture("").as_os_str(),
        "--format".as_ref(),
        "base64".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("records written");
    let files = fixture_files();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), files.len());
    for (line, file) in lines.iter().zip(&files) {
        let (k, value) = line.split_once('\t').expect("KEY<TAB>VALUE");
        assert_eq!(k, key(file));
        let data = value.strip_prefix("base64:").expect("base64: prefix");
        let bytes = medprep_cli::base64::decode(data).expect("valid base64");
        assert_eq!(bytes, std::fs::read(file).expect("read fixture"), "{k}");
    }
    check_with_python("base64", &out, files.len());
}

#[test]
fn typedbytes_records_are_path_and_content_pairs() {
    let dir = scratch("pack-typedbytes");
    let out = dir.join("records.tb");
    let output = pack(&[
        fixture("").as_os_str(),
        "--format".as_ref(),
        "typedbytes".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stream = std::fs::read(&out).expect("records written");
    let mut reader = Reader::new(stream.as_slice());
    let mut pairs = Vec::new();
    while let Some(pair) = reader.next_pair().expect("valid typed bytes") {
        pairs.push(pair);
    }
    let expected: Vec<(Value, Value)> = fixture_files()
        .iter()
        .map(|f| {
            (
                Value::String(key(f)),
                Value::Bytes(std::fs::read(f).expect("read fixture")),
            )
        })
        .collect();
    assert_eq!(pairs.len(), expected.len());
    assert!(
        pairs == expected,
        "the pairs differ from (path, file bytes)"
    );
    check_with_python("typedbytes", &out, expected.len());
}

#[test]
fn out_holds_what_stdout_would_and_no_partial_file() {
    let dir = scratch("pack-out");
    let out = dir.join("records.tb");
    let input = fixture("ct_slice.dcm");
    for format in ["paths", "base64", "typedbytes"] {
        let to_stdout = pack(&[input.as_os_str(), "--format".as_ref(), format.as_ref()]);
        assert!(to_stdout.status.success(), "{}", stderr(&to_stdout));
        let to_file = pack(&[
            input.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        assert!(to_file.status.success(), "{}", stderr(&to_file));
        assert_eq!(std::fs::read(&out).expect("written"), to_stdout.stdout);
        assert!(!dir.join("records.tb.partial").exists());
    }
}

#[test]
fn paths_that_cannot_be_line_records_are_reported_and_left_out() {
    let dir = scratch("pack-unpackable");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("folder");
    for name in [
        "ok.dcm",
        "tab\there.dcm",
        "new\nline.dcm",
        "carriage\rreturn.dcm",
    ] {
        std::fs::copy(fixture("ct_12bit.dcm"), inputs.join(name)).expect("copy");
    }
    for format in ["paths", "base64"] {
        let output = pack(&[inputs.as_os_str(), "--format".as_ref(), format.as_ref()]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        let lines = stdout_lines(&output);
        assert_eq!(lines.len(), 1, "{format}: {lines:?}");
        assert!(lines[0].starts_with(&key(&inputs.join("ok.dcm"))));
        let err = stderr(&output);
        assert!(
            err.contains("medprep pack: skipped 3 path(s)"),
            "{format}: {err}"
        );
        assert!(err.contains(r"tab\there.dcm"), "{format}: {err}");
    }
    // Typed bytes keys may hold any text.
    let output = pack(&[
        inputs.as_os_str(),
        "--format".as_ref(),
        "typedbytes".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = Reader::new(output.stdout.as_slice());
    let mut keys = Vec::new();
    while let Some((k, _)) = reader.next_pair().expect("valid typed bytes") {
        keys.push(k);
    }
    assert_eq!(keys.len(), 4);
    assert!(keys.contains(&Value::String(key(&inputs.join("tab\there.dcm")))));
}

#[test]
fn no_inputs_or_an_unwritable_out_are_usage_errors() {
    let dir = scratch("pack-usage");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("folder");
    std::fs::write(empty.join("notes.txt"), "text").expect("write");
    let output = pack(&[empty.as_os_str()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no DICOM files found"));

    let output = pack(&[dir.join("missing").as_os_str()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let out = dir.join("no-such-folder/records.txt");
    let output = pack(&[
        fixture("ct_slice.dcm").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!out.exists());
}
