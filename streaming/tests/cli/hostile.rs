//! Hostile inputs through both binaries: `medprep run` over a folder and over named
//! files, and `preprocess_image` over path records. Every input gives a row or an
//! error record, the run goes on, nothing blocks, and the totals add up.
//!
//! What each case gives (also in docs/robustness.md):
//! - zero-length file, random bytes: `not_dicom` (a folder walk skips them as not
//!   DICOM, and counts them);
//! - DICOM without Pixel Data: `no_pixel_data`; truncated Pixel Data: `malformed`;
//! - an unknown transfer syntax UID: `unknown_transfer_syntax`; native Pixel Data
//!   under the RLE UID decodes as the native data it is;
//! - huge declared dimensions: `too_large`, refused before allocation (peak memory of
//!   the child is checked);
//! - a FIFO: `io` ("not a regular file"), never opened; in a folder walk, skipped;
//! - a directory: named to `medprep run` it is a folder to walk; as a mapper record,
//!   `io`;
//! - an unreadable file: `io`;
//! - names with a tab, a newline or a 0xFF byte: processed like any other (a
//!   newline splits a mapper record in two, a tab splits it into KEY and PATH);
//! - two copies of one file (same SOP Instance UID) under two names: both are
//!   processed and both rows kept, since they are two inputs; the tables carry
//!   `image_path` to tell them apart, and preprocessed images get distinct names.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow_array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{counters, fixture, python, scratch};

/// Decode and tables only, with a PNG per image so that duplicate names show.
const RECIPE: &str =
    "name = \"plain-png\"\nnormalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
                      maps = [{ kind = \"original\" }]\nfeatures = { families = [] }\n\
                      output = { images = \"png\", dtype = \"u8\" }\n";
/// Longer than any case needs; a blocked read (a FIFO) would hit it.
const CHILD_DEADLINE: Duration = Duration::from_secs(120);
/// Peak resident memory allowed while refusing huge dimensions: the decoded image
/// would need 16 GiB, the process itself about 16 MiB.
const HUGE_CASE_PEAK_KIB: u64 = 100 * 1024;

/// Where the Pixel Data element of `fixtures/ct_slice.dcm` starts, and its value.
fn pixel_data_at(bytes: &[u8]) -> usize {
    bytes
        .windows(6)
        .rposition(|w| w == [0xE0, 0x7F, 0x10, 0x00, b'O', b'W'])
        .expect("ct_slice.dcm has native Pixel Data")
}

fn ct_slice() -> Vec<u8> {
    std::fs::read(fixture("ct_slice.dcm")).expect("fixture")
}

fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern in the fixture");
    [&bytes[..at], to, &bytes[at + from.len()..]].concat()
}

/// `ct_slice.dcm` with Rows and Columns set to `size`, and Pixel Data to match.
fn resized_ct(size: u16) -> Vec<u8> {
    let bytes = ct_slice();
    let size_bytes = size.to_le_bytes();
    let rows = [0x28, 0x00, 0x10, 0x00, b'U', b'S', 2, 0];
    let cols = [0x28, 0x00, 0x11, 0x00, b'U', b'S', 2, 0];
    let mut bytes = replace(
        &bytes,
        &[&rows[..], &[128, 0]].concat(),
        &[&rows[..], &size_bytes].concat(),
    );
    bytes = replace(
        &bytes,
        &[&cols[..], &[128, 0]].concat(),
        &[&cols[..], &size_bytes].concat(),
    );
    let at = pixel_data_at(&bytes);
    let length = u32::from(size) * u32::from(size) * 2;
    bytes.truncate(at + 8);
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.resize(bytes.len() + length as usize, 0x10);
    bytes
}

/// One hostile input: its file name, and the error kind it gives (`None`: ok).
struct Case {
    name: OsString,
    kind: Option<&'static str>,
    /// Whether a folder walk takes it (a DICOM marker, or unreadable first bytes).
    walked: bool,
}

fn case(name: impl Into<OsString>, kind: Option<&'static str>, walked: bool) -> Case {
    Case {
        name: name.into(),
        kind,
        walked,
    }
}

/// Writes the hostile inputs into `dir` and says what each should give.
fn write_inputs(dir: &Path) -> Vec<Case> {
    let ct = ct_slice();
    let pixels = pixel_data_at(&ct);
    let write = |name: &OsStr, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("write");
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: &[u8], kind: Option<&'static str>, walked: bool| {
        write(OsStr::new(name), bytes);
        cases.push(case(name, kind, walked));
    };
    add("ok.dcm", &ct, None, true);
    add("duplicate-of-ok.dcm", &ct, None, true);
    add("empty.dcm", &[], Some("not_dicom"), false);
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    add("random.dcm", &random, Some("not_dicom"), false);
    add(
        "no-pixel-data.dcm",
        &ct[..pixels],
        Some("no_pixel_data"),
        true,
    );
    add(
        "truncated-pixel-data.dcm",
        &ct[..pixels + 12 + 1000],
        Some("malformed"),
        true,
    );
    let syntax = b"1.2.840.10008.1.2.1\0";
    add(
        "unknown-syntax.dcm",
        &replace(&ct, syntax, b"1.2.840.99999.1.2.1\0"),
        Some("unknown_transfer_syntax"),
        true,
    );
    // Native (defined-length) Pixel Data under the RLE UID: the bytes are what they
    // are, so they decode as native data, like a lenient reader does.
    add(
        "native-declared-rle.dcm",
        &replace(&ct, syntax, b"1.2.840.10008.1.2.5\0"),
        None,
        true,
    );
    let mut huge = ct.clone();
    let rows = [0x28, 0x00, 0x10, 0x00, b'U', b'S', 2, 0, 128, 0];
    huge = replace(&huge, &rows, &[&rows[..8], &[0xFF, 0xFF]].concat());
    let cols = [0x28, 0x00, 0x11, 0x00, b'U', b'S', 2, 0, 128, 0];
    huge = replace(&huge, &cols, &[&cols[..8], &[0xFF, 0xFF]].concat());
    add("huge-dimensions.dcm", &huge, Some("too_large"), true);
    add("unreadable.dcm", &ct, Some("io"), true);
    std::fs::set_permissions(
        dir.join("unreadable.dcm"),
        std::fs::Permissions::from_mode(0o000),
    )
    .expect("chmod");
    // A name with a tab, holding garbage (an error record whose path has a tab), one
    // with a newline and one with a byte that is not UTF-8, both holding a good image.
    add("tab\tname.dcm", &random, Some("not_dicom"), false);
    add("new\nline.dcm", &ct, None, true);
    let latin = OsString::from_vec(b"caf\xff.dcm".to_vec());
    write(&latin, &ct);
    cases.push(case(latin, None, true));
    let fifo = dir.join("fifo.dcm");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo");
    cases.push(case("fifo.dcm", Some("io"), false));
    cases
}

/// The effective user id, from /proc (the tests have no libc binding).
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .expect("Uid line")
}

/// A command for `binary` that cannot read a mode-000 file: as root (where the mode
/// does not stop reads) it runs as `nobody` through setpriv. `None` when that is
/// impossible; the caller then leaves out the unreadable case.
fn command(binary: &str) -> Option<Command> {
    if euid() != 0 {
        return Some(Command::new(binary));
    }
    let setpriv = Command::new("setpriv").arg("--version").output();
    if !setpriv.is_ok_and(|o| o.status.success()) {
        return None;
    }
    let mut command = Command::new("setpriv");
    command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
    Some(command)
}

/// Runs `command` with `stdin`, failing the test if it outlives [`CHILD_DEADLINE`].
fn run_with_deadline(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("write stdin");
    drop(input);
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > CHILD_DEADLINE {
            let _ = child.kill();
            panic!("the child blocked for {CHILD_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A scratch folder everyone may use (the binaries may run as `nobody`).
fn open_scratch(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    dir
}

/// Leaves out the unreadable case when the binaries cannot be made unable to read it.
fn usable(cases: Vec<Case>, dir: &Path, can_refuse_reads: bool) -> Vec<Case> {
    if can_refuse_reads {
        return cases;
    }
    eprintln!("note: running as root without setpriv: the unreadable-file case is left out");
    std::fs::remove_file(dir.join("unreadable.dcm")).expect("remove");
    cases
        .into_iter()
        .filter(|c| c.name != "unreadable.dcm")
        .collect()
}

/// `ok`, `failed` and `skipped` of `medprep run`'s summary line.
fn summary(stderr: &str) -> (usize, usize, usize) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("medprep run: "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"));
    let number_before = |word: &str| -> usize {
        let end = line
            .find(word)
            .unwrap_or_else(|| panic!("{word:?} in {line}"));
        line[..end]
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count before {word:?} in {line}"))
    };
    (
        number_before(" images ("),
        number_before(" failed"),
        number_before(" skipped"),
    )
}

/// `image_path` → error kind from errors.jsonl.
fn error_records(out: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(out.join("errors.jsonl")).expect("errors.jsonl");
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            (
                record["image_path"]
                    .as_str()
                    .expect("image_path")
                    .to_owned(),
                record["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect()
}

/// The `image_path` column of scans.parquet.
fn scan_paths(out: &Path) -> Vec<String> {
    let file = File::open(out.join("scans.parquet")).expect("scans.parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("Parquet")
        .build()
        .expect("reader");
    let mut paths = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let column = batch
            .column_by_name("image_path")
            .expect("image_path column");
        let strings = column
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("strings");
        paths.extend((0..strings.len()).map(|i| strings.value(i).to_owned()));
    }
    paths
}

fn display(dir: &Path, name: &OsStr) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

fn check_run(dir: &Path, out: &Path, cases: &[Case], output: &Output, walked: bool) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "some inputs failed:\n{stderr}"
    );
    let taken: Vec<&Case> = cases.iter().filter(|c| !walked || c.walked).collect();
    let expected_ok = taken.iter().filter(|c| c.kind.is_none()).count();
    let (ok, failed, skipped) = summary(&stderr);
    assert_eq!(ok + failed, taken.len(), "{stderr}");
    assert_eq!(ok, expected_ok, "{stderr}");
    assert_eq!(skipped, cases.len() - taken.len(), "{stderr}");

    let errors = error_records(out);
    let expected_errors: BTreeMap<String, String> = taken
        .iter()
        .filter_map(|c| Some((display(dir, &c.name), c.kind?.to_owned())))
        .collect();
    assert_eq!(errors, expected_errors);

    let mut paths = scan_paths(out);
    paths.sort();
    let mut expected_paths: Vec<String> = taken
        .iter()
        .filter(|c| c.kind.is_none())
        .map(|c| display(dir, &c.name))
        .collect();
    expected_paths.sort();
    assert_eq!(
        paths, expected_paths,
        "both copies of the duplicate are kept"
    );
    // Duplicates (same SOP Instance UID) must not overwrite each other's image.
    let images = std::fs::read_dir(out.join("preprocessed"))
        .expect("preprocessed images")
        .count();
    assert_eq!(images, expected_ok);
}

#[test]
fn medprep_run_gives_a_row_or_an_error_record_for_every_hostile_input() {
    let root = open_scratch("hostile-run");
    let dir = root.join("in");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let recipe = root.join("recipe.toml");
    std::fs::write(&recipe, RECIPE).expect("recipe");
    let cases = write_inputs(&dir);
    let binary = env!("CARGO_BIN_EXE_medprep");
    let cases = usable(cases, &dir, command(binary).is_some());
    let run = |out: &Path, inputs: Vec<OsString>| {
        let mut command = command(binary).unwrap_or_else(|| Command::new(binary));
        command
            .arg("run")
            .args(inputs)
            .arg("--out")
            .arg(out)
            .arg("--recipe")
            .arg(&recipe)
            .args(["--quiet", "--jobs", "2"]);
        run_with_deadline(command, b"")
    };

    let out = root.join("out-folder");
    let output = run(&out, vec![dir.clone().into()]);
    check_run(&dir, &out, &cases, &output, true);

    // Named files are all taken, DICOM or not; a named folder (empty here) is walked.
    let empty = root.join("empty-folder");
    std::fs::create_dir(&empty).expect("mkdir");
    let mut named: Vec<OsString> = cases.iter().map(|c| dir.join(&c.name).into()).collect();
    named.push(empty.into());
    let out = root.join("out-named");
    let output = run(&out, named);
    check_run(&dir, &out, &cases, &output, false);
}

#[test]
fn the_mapper_gives_one_row_per_hostile_path_record_and_goes_on() {
    let root = open_scratch("hostile-mapper");
    let dir = root.join("in");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let recipe = root.join("recipe.toml");
    std::fs::write(&recipe, RECIPE).expect("recipe");
    let binary = env!("CARGO_BIN_EXE_preprocess_image");
    let cases = usable(write_inputs(&dir), &dir, command(binary).is_some());

    // One record per line: a newline in a name cannot be carried, so that name is
    // written as two records (two missing paths); a tab splits KEY from PATH.
    let mut stdin = Vec::new();
    let mut expected: Vec<(Option<String>, String, String)> = Vec::new();
    for c in &cases {
        let path = dir.join(&c.name);
        let bytes = path.as_os_str().as_bytes();
        stdin.extend_from_slice(bytes);
        stdin.push(b'\n');
        let text = String::from_utf8_lossy(bytes).into_owned();
        let status = |kind: Option<&str>| match kind {
            None => ("ok".to_owned(), String::new()),
            Some(kind) => ("error".to_owned(), kind.to_owned()),
        };
        if let Some((first, second)) = text.split_once('\n') {
            for part in [first, second] {
                let (s, k) = status(Some("io"));
                expected.push((None, part.to_owned(), format!("{s}/{k}")));
            }
        } else if let Some((key, path)) = text.rsplit_once('\t') {
            let (s, k) = status(Some("io"));
            expected.push((Some(key.to_owned()), path.to_owned(), format!("{s}/{k}")));
        } else {
            let (s, k) = status(c.kind);
            expected.push((None, text, format!("{s}/{k}")));
        }
    }
    stdin.extend_from_slice(dir.as_os_str().as_bytes());
    stdin.push(b'\n');
    expected.push((
        None,
        dir.to_string_lossy().into_owned(),
        "error/io".to_owned(),
    ));

    let mut command = command(binary).unwrap_or_else(|| Command::new(binary));
    command
        .arg("--recipe")
        .arg(&recipe)
        .args(["--jobs", "2", "--output", "jsonl"]);
    let output = run_with_deadline(command, &stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let rows: Vec<(Option<String>, String, String)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let key = row["key"]
                .as_array()
                .and_then(|k| k.first())
                .and_then(|k| k.as_str())
                .map(str::to_owned);
            let kind = row["error_kind"].as_str().unwrap_or("").to_owned();
            (
                key,
                row["image_path"].as_str().expect("image_path").to_owned(),
                format!("{}/{kind}", row["status"].as_str().expect("status")),
            )
        })
        .collect();
    assert_eq!(rows, expected, "{stderr}");
    let counters = counters(&output.stderr);
    let ok = expected.iter().filter(|e| e.2 == "ok/").count() as u64;
    assert_eq!(counters.get("records_ok").copied().unwrap_or(0), ok);
    assert_eq!(
        counters.get("records_failed").copied().unwrap_or(0),
        expected.len() as u64 - ok
    );
}

#[test]
fn huge_declared_dimensions_are_refused_in_little_memory() {
    let root = open_scratch("hostile-memory");
    let mut huge = ct_slice();
    for tag in [0x10u8, 0x11] {
        let element = [0x28, 0x00, tag, 0x00, b'U', b'S', 2, 0, 128, 0];
        huge = replace(&huge, &element, &[&element[..8], &[0xFF, 0xFF]].concat());
    }
    let path = root.join("huge.dcm");
    std::fs::write(&path, &huge).expect("write");
    // Python reports the peak resident memory of the children it waited for.
    let script = "import resource, subprocess, sys\n\
                  r = subprocess.run(sys.argv[1:], capture_output=True)\n\
                  print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
                  sys.stderr.write(r.stderr.decode(errors='replace'))\n";
    let out = root.join("out");
    let output = Command::new(python())
        .args(["-c", script, env!("CARGO_BIN_EXE_medprep"), "run"])
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--recipe", "ct-standard"])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (code, peak_kib) = stdout.trim().split_once(' ').expect("code and peak memory");
    assert_eq!(code, "1", "{}", String::from_utf8_lossy(&output.stderr));
    let peak_kib: u64 = peak_kib.parse().expect("KiB");
    assert!(
        peak_kib < HUGE_CASE_PEAK_KIB,
        "peak resident memory {peak_kib} KiB"
    );
    let errors = error_records(&out);
    assert_eq!(
        errors
            .get(path.to_string_lossy().as_ref())
            .map(String::as_str),
        Some("too_large")
    );
}

/// A recipe whose work grows with the image: a σ 8 Gaussian has 65 taps, 2.2 G
/// multiply-adds on a 4096 × 4096 slice (a second on 2 cores) and 33,000 on a 16 × 16
/// one (microseconds), so the 20 ms budget sits far from both even in a debug build.
const SLOW_RECIPE: &str =
    "name = \"slow\"\nnormalize = { mode = \"window\", window = \"ct-soft-tissue\" }\n\
     maps = [{ kind = \"gaussian\", sigma = 8.0 }]\nfeatures = { families = [] }\n";
const BUDGET_SECONDS: &str = "0.02";

#[test]
fn a_record_past_the_time_budget_becomes_a_timeout_row_and_the_stream_goes_on() {
    let root = open_scratch("hostile-timeout");
    let slow = root.join("slow.dcm");
    std::fs::write(&slow, resized_ct(4096)).expect("write");
    let recipe = root.join("recipe.toml");
    std::fs::write(&recipe, SLOW_RECIPE).expect("recipe");
    let recipe = recipe.to_string_lossy().into_owned();
    let fast = root.join("fast.dcm");
    std::fs::write(&fast, resized_ct(16)).expect("write");
    let records = format!("a\t{}\nb\t{}\n", slow.display(), fast.display());
    let mapper = |args: &[&str], stdin: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_preprocess_image"));
        command.args(["--recipe", &recipe]).args(args);
        run_with_deadline(command, stdin.as_bytes())
    };
    let output = mapper(
        &["--record-timeout", BUDGET_SECONDS, "--jobs", "1"],
        &records,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    assert_eq!(rows[0][..2], ["a", "error"]);
    assert_eq!(rows[0][rows[0].len() - 2], "timeout");
    assert!(rows[0][rows[0].len() - 1].contains("--record-timeout"));
    assert_eq!(
        rows[1][..2],
        ["b", "ok"],
        "the stream goes on after the timeout"
    );
    let counters = counters(&output.stderr);
    assert_eq!(counters.get("error_timeout"), Some(&1), "{stderr}");

    // With one job, a second abandoned worker is one too many: exit 1 for a retry.
    let twice = format!("a\t{}\nb\t{}\n", slow.display(), slow.display());
    let output = mapper(&["--record-timeout", BUDGET_SECONDS, "--jobs", "1"], &twice);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("ran past the time budget"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_sample_cap_is_set_from_the_command_line_of_both_binaries() {
    let root = open_scratch("hostile-cap");
    let recipe = root.join("recipe.toml");
    std::fs::write(&recipe, RECIPE).expect("recipe");
    let ct = fixture("ct_slice.dcm");
    // The fixture has 128 × 128 = 16384 samples: the cap is inclusive.
    for (cap, kind) in [("16383", Some("too_large")), ("16384", None)] {
        let out = root.join(format!("out-{cap}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_medprep"));
        command
            .arg("run")
            .arg(&ct)
            .arg("--out")
            .arg(&out)
            .arg("--recipe")
            .arg(&recipe)
            .args(["--quiet", "--max-samples", cap]);
        let output = run_with_deadline(command, b"");
        assert_eq!(
            output.status.code(),
            Some(i32::from(kind.is_some())),
            "{cap}"
        );
        let errors = error_records(&out);
        assert_eq!(
            errors.values().next().map(String::as_str),
            kind,
            "medprep run --max-samples {cap}"
        );

        let mut command = Command::new(env!("CARGO_BIN_EXE_preprocess_image"));
        command
            .arg("--recipe")
            .arg(&recipe)
            .args(["--max-samples", cap]);
        let output = run_with_deadline(command, ct.as_os_str().as_bytes());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<&str> = stdout.trim_end().split('\t').collect();
        let expected = kind.unwrap_or("\\N");
        assert_eq!(
            fields[fields.len() - 2],
            expected,
            "preprocess_image --max-samples {cap}"
        );
    }
}
