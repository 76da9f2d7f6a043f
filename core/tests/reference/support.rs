//! Running the reference scripts and reading what they write.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The test Python: `MEDPREP_PYTHON`, else the one `scripts/python-env.sh` prepares.
/// Reference tests never skip: without Python they fail with the reason.
pub fn python() -> &'static Path {
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

/// Runs `core/tests/reference/<script>` with `args`, then the output folder it was given.
/// Returns that folder, a fresh temporary directory per call.
pub fn run_reference(script: &str, args: &[&str]) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!(
        "medprep-reference-{}-{}-{n}",
        std::process::id(),
        script.trim_end_matches(".py")
    ));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("create reference output folder");
    let script_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(script);
    let status = Command::new(python())
        .arg(&script_path)
        .args(args)
        .arg(&out)
        .status()
        .expect("run the reference script");
    assert!(status.success(), "{script} failed ({status})");
    out
}

/// Reads an `.npy` file written by a reference script.
pub fn read_npy<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(
    path: &Path,
) -> ndarray::Array<T, D> {
    ndarray_npy::read_npy(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}
