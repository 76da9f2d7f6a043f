//! Correlation with a 2-D kernel and the Gabor magnitude on the GPU, twins of
//! [`cpu::filters::correlate`](crate::cpu::filters::correlate) and
//! [`cpu::filters::gabor_magnitude`](crate::cpu::filters::gabor_magnitude), re-exported
//! from [`gpu::filters`](super::filters).
//!
//! The same split as the CPU: a rank-1 kernel runs as two 1-D passes of
//! `shaders/separable.wgsl` with the CPU's own factors; any other runs directly in
//! `shaders/correlate.wgsl`, one invocation per output summing the CPU's taps in its
//! order, in f32 where the CPU sums in f64. The Gabor magnitude is two correlations and
//! `shaders/hypot.wgsl`.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array2, ArrayView2};

use super::context::{shaped, Job, Slot};
use super::separable::separable_pass;
use super::shaders::{CORRELATE, HYPOT};
use super::{GpuContext, GpuError};
use crate::cpu::filters::{footprint, gabor_kernel, gabor_kernel_imaginary, rank_one, Gabor};

/// The longest kernel side the GPU correlates (a Gabor kernel's largest, 2 × 127 + 1).
pub const MAX_GPU_KERNEL_SIDE: usize = 255;

/// Mirrors `Params` in `shaders/correlate.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct CorrelateParams {
    pub(crate) rows: u32,
    pub(crate) cols: u32,
    pub(crate) taps: u32,
    pub(crate) _pad0: u32,
    pub(crate) above: u32,
    pub(crate) below: u32,
    pub(crate) left: u32,
    pub(crate) right: u32,
}

/// Mirrors `Params` in `shaders/hypot.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct HypotParams {
    pub(crate) len: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
    pub(crate) _pad2: u32,
}

const _: () = assert!(size_of::<CorrelateParams>() == CORRELATE.params_size as usize);
const _: () = assert!(size_of::<HypotParams>() == HYPOT.params_size as usize);

/// [`cpu::filters::correlate`](crate::cpu::filters::correlate) on the GPU: correlation
/// with `kernel` as `scipy.ndimage.correlate(x, kernel, mode="reflect")`, the kernel
/// centre at `(rows / 2, cols / 2)`. An empty kernel returns zeros; a kernel side longer
/// than [`MAX_GPU_KERNEL_SIDE`] is [`GpuError::Unsupported`].
pub fn correlate(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
    kernel: ArrayView2<'_, f32>,
) -> Result<Array2<f32>, GpuError> {
    let (rows, cols) = input.dim();
    check_kernel(&kernel)?;
    if rows == 0 || cols == 0 || kernel.is_empty() {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("correlate", |job| {
        let image = job.upload_image("correlate input", &input)?;
        let output = record_correlate(job, &image, [rows, cols], &kernel)?;
        shaped(job, [rows, cols], &output)
    })
}

/// [`cpu::filters::gabor_magnitude`](crate::cpu::filters::gabor_magnitude) on the GPU:
/// `hypot` of the correlations with the real and the imaginary Gabor kernels.
pub fn gabor_magnitude(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
    gabor: &Gabor,
) -> Result<Array2<f32>, GpuError> {
    let (rows, cols) = input.dim();
    if rows == 0 || cols == 0 {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("gabor_magnitude", |job| {
        let image = job.upload_image("Gabor input", &input)?;
        let output = record_gabor_magnitude(job, &image, [rows, cols], gabor)?;
        shaped(job, [rows, cols], &output)
    })
}

/// `Unsupported` for a kernel side beyond [`MAX_GPU_KERNEL_SIDE`].
fn check_kernel(kernel: &ArrayView2<'_, f32>) -> Result<(), GpuError> {
    let (kh, kw) = kernel.dim();
    if kh.max(kw) > MAX_GPU_KERNEL_SIDE {
        return Err(GpuError::Unsupported {
            what: format!(
                "a {kh} × {kw} correlation kernel (the GPU takes sides up to {MAX_GPU_KERNEL_SIDE})"
            ),
        });
    }
    Ok(())
}

/// Records [`correlate`] of the `[rows, cols]` image (not empty) in `input` with
/// `kernel` into a new slot (zeros for an empty kernel).
pub(crate) fn record_correlate(
    job: &mut Job<'_>,
    input: &Slot,
    [rows, cols]: [usize; 2],
    kernel: &ArrayView2<'_, f32>,
) -> Result<Slot, GpuError> {
    check_kernel(kernel)?;
    let len = rows * cols;
    if kernel.is_empty() {
        return job.zeroed("correlate output", len);
    }
    if let Some((vertical, horizontal)) = rank_one(kernel.view()) {
        let between = job.output("correlate intermediate", len)?;
        let output = job.output("correlate output", len)?;
        separable_pass(job, [rows, cols], 0, &vertical, input, &between)?;
        separable_pass(job, [rows, cols], 1, &horizontal, &between, &output)?;
        job.recycle(between);
        return Ok(output);
    }
    let (kh, kw) = kernel.dim();
    let (ch, cw) = (kh / 2, kw / 2);
    let taps = footprint(kernel.view());
    // Offsets fit i32 (sides ≤ 255); the weights are the kernel's own f32 values.
    let table: Vec<u32> = taps
        .iter()
        .flat_map(|&(a, b, w)| {
            [
                (a as i32 - ch as i32) as u32,
                (b as i32 - cw as i32) as u32,
                (w as f32).to_bits(),
            ]
        })
        .collect();
    let table = job.constant("correlation taps", &table)?;
    let output = job.output("correlate output", len)?;
    let params = job.params(
        &CORRELATE,
        &CorrelateParams {
            rows: rows as u32,
            cols: cols as u32,
            taps: taps.len() as u32,
            _pad0: 0,
            above: ch as u32,
            below: (kh - 1 - ch) as u32,
            left: cw as u32,
            right: (kw - 1 - cw) as u32,
        },
    )?;
    job.dispatch(&CORRELATE, &[&params, &table, input, &output], len as u64)?;
    Ok(output)
}

/// Records [`gabor_magnitude`] of the `[rows, cols]` image (not empty) in `input` into a
/// new slot.
pub(crate) fn record_gabor_magnitude(
    job: &mut Job<'_>,
    input: &Slot,
    shape: [usize; 2],
    gabor: &Gabor,
) -> Result<Slot, GpuError> {
    let len = shape[0] * shape[1];
    let real = record_correlate(job, input, shape, &gabor_kernel(gabor).view())?;
    let imaginary = record_correlate(job, input, shape, &gabor_kernel_imaginary(gabor).view())?;
    let output = job.output("Gabor magnitude", len)?;
    let params = job.params(
        &HYPOT,
        &HypotParams {
            len: len as u32,
            _pad0: 0,
            _pad1: 0,
            _pad2: 0,
        },
    )?;
    job.dispatch(&HYPOT, &[&params, &real, &imaginary, &output], len as u64)?;
    job.recycle(real);
    job.recycle(imaginary);
    Ok(output)
}
