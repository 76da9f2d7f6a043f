//! Privacy: no patient name or other header PHI in any output or log of `medprep run`
//! and `preprocess_image`, and with `--pseudonymize` no raw patient ID or instance UID
//! either. Inputs are made at test time with known fake PHI (tests/phi_fixtures.py).
//!
//! What is allowed where:
//! - never, anywhere (stdout, stderr, errors.jsonl, tables.sql, manifest.json, file
//!   names, decoded Parquet values and metadata, mapper rows): the patient name, the
//!   accession number, the institution, the referring physician, the birth date, and
//!   (with --pseudonymize) the key;
//! - without --pseudonymize, the patient ID and the study, series and SOP instance
//!   UIDs only in the Parquet tables, and SOP UIDs also in preprocessed image names
//!   (and the manifest's list of them);
//! - with --pseudonymize, those nowhere; their pseudonyms are those computed by Python's
//!   hmac module.
//!
//! `medprep info` prints a file's metadata (patient ID and UIDs included) by design, so
//! it is not covered here.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use medprep_cli::sinks::parquet::TableReader;
use medprep_runner::tables::ScanRow;

use super::{fixture, python, scratch};

/// Header values that must never leave the input files.
const NEVER: [&str; 7] = [
    "PHI^Jane^Canary",
    "Jane",
    "ACC-CANARY-777",
    "Canary Creek",
    "Referrer",
    "19420424",
    "1942-04-24",
];

/// Identifiers that the tables hold without --pseudonymize, and nothing holds with it.
const IDS: [&str; 5] = [
    "PHI-CANARY-4242",
    "1.2.826.0.1.3680043.9.4242.1",
    "1.2.826.0.1.3680043.9.4242.2",
    "1.2.826.0.1.3680043.9.4242.3.1",
    "1.2.826.0.1.3680043.9.4242.3.2",
];

const KEY: &str = "privacy-test-key-0123456789abcdef";
const OTHER_KEY: &str = "another-key-for-the-privacy-test";

/// Windowed 8-bit PNG and first-order statistics.
const RECIPE: &str = "name = \"phi\"\n\
    normalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
    maps = [{ kind = \"original\" }]\n\
    features = { families = [\"first-order\"] }\n\
    output = { images = \"png\", dtype = \"u8\" }\n";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/phi_fixtures.py")
}

fn run_python(args: &[&OsStr]) -> String {
    let out = Command::new(python())
        .arg(script())
        .args(args)
        .output()
        .expect("run phi_fixtures.py");
    assert!(
        out.status.success(),
        "phi_fixtures.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A folder with the PHI inputs (`in/`), the recipe and two key files.
fn setup(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("in")).expect("create folder");
    run_python(&[
        "make".as_ref(),
        fixture("ct_slice.dcm").as_os_str(),
        dir.join("in").as_os_str(),
    ]);
    std::fs::write(dir.join("phi.toml"), RECIPE).expect("write recipe");
    std::fs::write(dir.join("key"), format!("{KEY}\n")).expect("write key");
    dir
}

/// Every file under `dir`: relative names, and the texts to search (Parquet decoded).
fn contents(dir: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let mut names = Vec::new();
    let mut texts = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("list folder")
                    .map(|e| e.expect("entry").path()),
            );
            continue;
        }
        let name = path
            .strip_prefix(dir)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        names.push(name.clone());
        let raw = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        texts.push((name.clone(), raw));
        if name.ends_with(".parquet") {
            texts.push((
                format!("{name} (decoded)"),
                run_python(&["dump".as_ref(), path.as_os_str()]),
            ));
        }
    }
    (names, texts)
}

/// Fails when one of `needles` occurs (ASCII case ignored) in `haystack`.
fn assert_absent(needles: &[&str], haystack: &str, place: &str) {
    let lower = haystack.to_ascii_lowercase();
    for needle in needles {
        assert!(
            !lower.contains(&needle.to_ascii_lowercase()),
            "{needle:?} found in {place}"
        );
    }
}

fn medprep_run(dir: &Path, out: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_medprep"))
        .current_dir(dir)
        .args(["run", "in", "--out", out, "--recipe", "phi.toml"])
        .args(extra)
        .env_remove("MEDPREP_PSEUDONYM_KEY")
        .envs(env.iter().copied())
        .output()
        .expect("medprep runs");
    // cut.dcm fails: exit status 1.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn scans(path: &Path) -> Vec<ScanRow> {
    let mut reader: TableReader<ScanRow> = TableReader::open(path).expect("scans table");
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row().expect("row") {
        rows.push(row);
    }
    rows
}

/// The pseudonyms Python computes under the key in `key_file`.
fn expected_pseudonyms(key_file: &Path) -> serde_json::Value {
    serde_json::from_str(&run_python(&["pseudonyms".as_ref(), key_file.as_os_str()])).expect("JSON")
}

/// Checks the logs and files of a `medprep run` into `out`.
fn check_run(dir: &Path, out: &str, output: &Output, pseudonymized: bool) {
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let (names, texts) = contents(&dir.join(out));
    assert!(
        names.iter().any(|n| n == "errors.jsonl")
            && texts.iter().any(|(_, t)| t.contains("cut.dcm")),
        "the truncated file is an error record"
    );
    let mut never: Vec<&str> = NEVER.to_vec();
    if pseudonymized {
        never.push(KEY);
        never.extend(IDS);
    }
    assert_absent(&never, &logs, "the log");
    assert_absent(&IDS, &logs, "the log");
    for name in &names {
        assert_absent(&never, name, "a file name");
    }
    for (name, text) in &texts {
        assert_absent(&never, text, name);
        // Without --pseudonymize the identifiers are columns of the tables, and SOP
        // UIDs name the images (which the manifest lists); nowhere else.
        if name == "manifest.json" {
            assert_absent(&IDS[..3], text, name);
        } else if !name.contains(".parquet") && !name.starts_with("preprocessed") {
            assert_absent(&IDS, text, name);
        }
    }
    let images: BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("preprocessed/"))
        .collect();
    let rows = scans(&dir.join(out).join("scans.parquet"));
    assert_eq!(rows.len(), 2);
    if pseudonymized {
        let expected = expected_pseudonyms(&dir.join("key"));
        let sops: Vec<String> = (0..2)
            .map(|i| {
                expected["sop_instance_uids"][i]
                    .as_str()
                    .expect("UID")
                    .to_owned()
            })
            .collect();
        for (row, sop) in rows.iter().zip(&sops) {
            assert_eq!(row.patient_id.as_deref(), expected["patient_id"].as_str());
            assert_eq!(
                row.study_instance_uid.as_deref(),
                expected["study_instance_uid"].as_str()
            );
            assert_eq!(
                row.series_instance_uid.as_deref(),
                expected["series_instance_uid"].as_str()
            );
            assert_eq!(row.sop_instance_uid.as_deref(), Some(sop.as_str()));
            // Not identifying: kept.
            assert_eq!(
                row.sop_class_uid.as_deref(),
                Some("1.2.840.10008.5.1.4.1.1.2")
            );
        }
        let named: BTreeSet<String> = sops.iter().map(|s| format!("{s}.png")).collect();
        assert_eq!(images, named.iter().map(String::as_str).collect());
    } else {
        assert_eq!(rows[0].patient_id.as_deref(), Some(IDS[0]));
        assert_eq!(rows[1].sop_instance_uid.as_deref(), Some(IDS[4]));
        assert_eq!(
            images,
            [&format!("{}.png", IDS[3])[..], &format!("{}.png", IDS[4])].into()
        );
    }
}

#[test]
fn medprep_run_writes_no_phi_and_pseudonymizes_identifiers() {
    let dir = setup("privacy-run");
    let plain = medprep_run(&dir, "plain", &[], &[]);
    check_run(&dir, "plain", &plain, false);

    let with_file = medprep_run(
        &dir,
        "pseudo",
        &["--pseudonymize", "--pseudonym-key-file", "key"],
        &[],
    );
    check_run(&dir, "pseudo", &with_file, true);

    // The same key from the environment: the same pseudonyms, byte for byte.
    let with_env = medprep_run(
        &dir,
        "again",
        &["--pseudonymize"],
        &[("MEDPREP_PSEUDONYM_KEY", KEY)],
    );
    check_run(&dir, "again", &with_env, true);
    let table = |out: &str| std::fs::read(dir.join(out).join("scans.parquet")).expect("read");
    assert!(table("pseudo") == table("again"));

    // Another key: other pseudonyms for every identifier.
    medprep_run(
        &dir,
        "other",
        &["--pseudonymize"],
        &[("MEDPREP_PSEUDONYM_KEY", OTHER_KEY)],
    );
    let ours = scans(&dir.join("pseudo/scans.parquet"));
    let theirs = scans(&dir.join("other/scans.parquet"));
    for (a, b) in ours.iter().zip(&theirs) {
        assert_ne!(a.patient_id, b.patient_id);
        assert_ne!(a.study_instance_uid, b.study_instance_uid);
        assert_ne!(a.series_instance_uid, b.series_instance_uid);
        assert_ne!(a.sop_instance_uid, b.sop_instance_uid);
    }

    // A rerun into `pseudo` with another key recomputes rather than mixing pseudonyms.
    let rerun = medprep_run(
        &dir,
        "pseudo",
        &["--pseudonymize"],
        &[("MEDPREP_PSEUDONYM_KEY", OTHER_KEY)],
    );
    assert!(String::from_utf8_lossy(&rerun.stderr).contains("another pseudonym key"));
    assert!(table("pseudo") == table("other"));
}

#[test]
fn a_missing_or_short_key_is_refused_without_showing_it() {
    let dir = setup("privacy-keys");
    let refuse = |extra: &[&str], env: &[(&str, &str)], says: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_medprep"))
            .current_dir(&dir)
            .args(["run", "in", "--out", "out", "--recipe", "phi.toml"])
            .args(extra)
            .env_remove("MEDPREP_PSEUDONYM_KEY")
            .envs(env.iter().copied())
            .output()
            .expect("medprep runs");
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{log}");
        assert!(log.contains(says), "{log}");
        assert!(!log.contains("tiny-secret"), "{log}");
        assert!(!dir.join("out/scans.parquet").exists());
    };
    refuse(&["--pseudonymize"], &[], "needs a key");
    refuse(
        &["--pseudonymize"],
        &[("MEDPREP_PSEUDONYM_KEY", "tiny-secret")],
        "at least 16",
    );
    std::fs::write(dir.join("short"), "tiny-secret\n").expect("write");
    refuse(
        &["--pseudonymize", "--pseudonym-key-file", "short"],
        &[],
        "at least 16",
    );
    refuse(
        &["--pseudonymize", "--pseudonym-key-file", "missing"],
        &[],
        "cannot read the pseudonym key file",
    );
    refuse(
        &["--pseudonym-key-file", "key"],
        &[],
        "needs --pseudonymize",
    );
}

#[test]
fn the_mapper_writes_no_phi_with_pseudonymize() {
    let dir = setup("privacy-mapper");
    let recipe = dir.join("phi.toml");
    let side = dir.join("side");
    let records: String = ["a.dcm", "b.dcm", "cut.dcm"]
        .iter()
        .map(|f| format!("{}\n", dir.join("in").join(f).display()))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_preprocess_image"))
        .arg("--recipe")
        .arg(&recipe)
        .args(["--pseudonymize", "--pseudonym-key-file"])
        .arg(dir.join("key"))
        .args(["--parquet", "--images", "--output", "jsonl"])
        .arg("--side-output")
        .arg(&side)
        .env_remove("MEDPREP_PSEUDONYM_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("preprocess_image starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(records.as_bytes())
        .expect("write records");
    let output = child.wait_with_output().expect("preprocess_image ends");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");

    let mut never: Vec<&str> = NEVER.to_vec();
    never.push(KEY);
    never.extend(IDS);
    assert_absent(&never, &stdout, "stdout");
    assert_absent(&never, &stderr, "stderr");
    let (names, texts) = contents(&side);
    for name in &names {
        assert_absent(&never, name, "a file name");
    }
    for (name, text) in &texts {
        assert_absent(&never, text, name);
    }

    let expected = expected_pseudonyms(&dir.join("key"));
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON row"))
        .collect();
    assert_eq!(rows.len(), 3);
    for (row, i) in rows[..2].iter().zip(0..) {
        assert_eq!(row["status"], "ok");
        assert_eq!(row["patient_id"], expected["patient_id"]);
        assert_eq!(row["study_instance_uid"], expected["study_instance_uid"]);
        assert_eq!(row["series_instance_uid"], expected["series_instance_uid"]);
        assert_eq!(row["sop_instance_uid"], expected["sop_instance_uids"][i]);
    }
    assert_eq!(rows[2]["status"], "error");
    let images: BTreeSet<&str> = names
        .iter()
        .filter_map(|n| n.strip_prefix("_medprep/preprocessed/"))
        .collect();
    let sops: BTreeSet<String> = (0..2)
        .map(|i| {
            format!(
                "{}.png",
                expected["sop_instance_uids"][i].as_str().expect("UID")
            )
        })
        .collect();
    assert_eq!(images, sops.iter().map(String::as_str).collect());
}
