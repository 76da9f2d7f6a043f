//! The `medprep` and `preprocess_image` binaries end to end: files written, rows and
//! JSON printed, exit codes.

mod crash;
mod decode;
mod device;
#[path = "../../../core/tests/common/feature_tolerance.rs"]
mod feature_tolerance;
mod hostile;
mod mapper;
mod pack;
mod privacy;
mod recipe;
mod run;
mod series;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(name)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn medprep(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medprep"))
        .args(args)
        .output()
        .expect("medprep runs")
}

/// The test Python (with pyarrow and DuckDB): `MEDPREP_PYTHON`, else the one
/// `scripts/python-env.sh` prepares. Tests that need it fail, never skip, without it.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Some(python) = std::env::var_os("MEDPREP_PYTHON") {
            return PathBuf::from(python);
        }
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/python-env.sh"))
            .output()
            .expect("run scripts/python-env.sh");
        assert!(
            out.status.success(),
            "scripts/python-env.sh failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        PathBuf::from(stdout.lines().last().expect("python path").trim())
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medprep-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Sum of each `reporter:counter:medprep,NAME,N` line of the mapper's stderr.
fn counters(stderr: &[u8]) -> BTreeMap<String, u64> {
    let mut totals = BTreeMap::new();
    for line in String::from_utf8_lossy(stderr).lines() {
        if let Some(rest) = line.strip_prefix("reporter:counter:medprep,") {
            let (name, n) = rest.rsplit_once(',').expect("NAME,N");
            *totals.entry(name.to_owned()).or_default() += n.parse::<u64>().expect("count");
        }
    }
    totals
}

/// `preprocess_image ARGS` with `stdin` on its standard input.
fn mapper(args: &[&str], stdin: &[u8]) -> Output {
    mapper_env(args, stdin, &[])
}

/// [`mapper`] with extra environment variables.
fn mapper_env(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_preprocess_image"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("preprocess_image starts");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The mapper may stop reading early (a corrupt stream); that is its business.
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().expect("preprocess_image ends");
    writer.join().expect("stdin writer");
    output
}

/// The mapper's column names for `args` (`--schema`).
fn schema(args: &[&str]) -> Vec<String> {
    let mut all = vec!["--schema"];
    all.extend_from_slice(args);
    let out = mapper(&all, b"");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Output lines as maps of column name to field.
fn rows(stdout: &[u8], columns: &[String]) -> Vec<BTreeMap<String, String>> {
    String::from_utf8(stdout.to_vec())
        .expect("UTF-8 output")
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), columns.len(), "{line}");
            columns
                .iter()
                .cloned()
                .zip(fields.into_iter().map(str::to_owned))
                .collect()
        })
        .collect()
}
