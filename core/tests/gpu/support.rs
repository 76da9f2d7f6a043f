//! The shared harness: the context (or a loud skip), inputs, and the CPU/GPU comparison
//! that writes both outputs when they disagree.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use medprep::gpu::{GpuContext, GpuError};
use medprep::{Device, DicomFile, Frames, Limits};
use ndarray::Array2;

/// Whether a missing adapter must fail the tests (CI) rather than skip them.
pub fn gpu_required() -> bool {
    std::env::var("MEDPREP_REQUIRE_GPU").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The shared context, or `None` after a skip notice that the test harness does not
/// capture (it goes to the process's stderr directly).
pub fn context(test: &str) -> Option<&'static GpuContext> {
    static CONTEXT: OnceLock<Result<GpuContext, GpuError>> = OnceLock::new();
    static ANNOUNCED: std::sync::Once = std::sync::Once::new();
    match CONTEXT.get_or_init(GpuContext::new) {
        Ok(ctx) => {
            ANNOUNCED.call_once(|| {
                let _ = writeln!(std::io::stderr(), "gpu tests run on {}", ctx.adapter_info());
            });
            Some(ctx)
        }
        Err(e) => {
            skip(test, e);
            None
        }
    }
}

/// Skips `test` for `reason` loudly, or fails it when a GPU is required.
pub fn skip(test: &str, reason: &dyn std::fmt::Display) {
    assert!(
        !gpu_required(),
        "MEDPREP_REQUIRE_GPU is set but there is no usable GPU: {reason}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED gpu test {test}: {reason} (MEDPREP_REQUIRE_GPU=1 makes this a failure)"
    );
}

/// How far the GPU may be from the CPU: `|gpu - cpu| <= relative * scale` everywhere,
/// where each test says what `scale` is (the largest input magnitude for filters).
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub name: &'static str,
    pub relative: f64,
}

/// Deterministic uniform values in `[low, high)`.
pub fn random(rows: usize, cols: usize, seed: u64, low: f32, high: f32) -> Array2<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    Array2::from_shape_fn((rows, cols), |_| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let unit = (state >> 40) as f32 / (1u64 << 24) as f32;
        low + unit * (high - low)
    })
}

/// fixtures/ct_slice.dcm in Hounsfield units, decoded by medprep.
pub fn ct_slice() -> Array2<f32> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/ct_slice.dcm");
    let image = DicomFile::open(path)
        .unwrap()
        .image(Frames::All, &Limits::default())
        .unwrap();
    Array2::from_shape_vec((image.rows as usize, image.cols as usize), image.pixels).unwrap()
}

/// The largest magnitude in `a` (at least 1, so all-zero inputs keep a tolerance).
pub fn scale_of(a: &Array2<f32>) -> f64 {
    a.iter().fold(1.0f64, |m, &v| m.max(f64::from(v.abs())))
}

/// Compares the two backends' outputs of `case`; on failure writes input, CPU and GPU
/// outputs as `.npy` into `target/gpu-parity-failures/` and says where they differ most.
/// Returns the largest difference over `scale`, printed for the record.
pub fn compare(
    case: &str,
    input: &Array2<f32>,
    cpu: &Array2<f32>,
    gpu: &Array2<f32>,
    tolerance: Tolerance,
    scale: f64,
) -> f64 {
    // (index, cpu, gpu, error) where the error is largest.
    let mut worst: Option<((usize, usize), f32, f32, f64)> = None;
    if cpu.dim() == gpu.dim() {
        for ((index, &c), &g) in cpu.indexed_iter().zip(gpu.iter()) {
            let error = if c.is_nan() && g.is_nan() {
                0.0
            } else if c.is_nan() || g.is_nan() {
                f64::INFINITY
            } else {
                (f64::from(c) - f64::from(g)).abs() / scale
            };
            if worst.is_none_or(|w| error > w.3) {
                worst = Some((index, c, g, error));
            }
        }
    }
    let error = worst.map_or(0.0, |w| w.3);
    println!(
        "{case}: max |gpu - cpu| / scale = {error:.3e} ({}: {:.1e})",
        tolerance.name, tolerance.relative
    );
    if cpu.dim() != gpu.dim() || error > tolerance.relative {
        let dir = failures_dir();
        let stem = case.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        let _ = std::fs::create_dir_all(&dir);
        for (suffix, array) in [("input", input), ("cpu", cpu), ("gpu", gpu)] {
            let _ = ndarray_npy::write_npy(dir.join(format!("{stem}-{suffix}.npy")), array);
        }
        panic!(
            "{case}: GPU differs from CPU beyond {} ({:e} of scale {scale}): shapes cpu {:?} gpu {:?}, worst (index, cpu, gpu, error) {worst:?}; outputs written to {}/{stem}-*.npy",
            tolerance.name,
            tolerance.relative,
            cpu.dim(),
            gpu.dim(),
            dir.display()
        );
    }
    error
}

/// A pipeline device on `ctx`'s device and queue (a context of its own, as the pipeline
/// holds it in an `Arc`).
pub fn device_of(ctx: &GpuContext) -> Device {
    Device::Gpu(Arc::new(GpuContext::from_device(
        ctx.device().clone(),
        ctx.queue().clone(),
    )))
}

/// Where failing tests write what they compared.
pub fn failures_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or(tmp.clone(), PathBuf::from)
        .join("gpu-parity-failures")
}
