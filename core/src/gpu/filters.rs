//! Filters on the GPU, twins of [`cpu::filters`](crate::cpu::filters): the separable
//! correlation pass (`shaders/separable.wgsl`) that makes [`gaussian`] and
//! [`gaussian_laplace`] (whose two terms `shaders/add.wgsl` adds), and
//! [`sobel_magnitude`] (`shaders/sobel_magnitude.wgsl`), [`correlate`] with any 2-D
//! kernel (`shaders/correlate.wgsl`, or two separable passes for a rank-1 kernel) and
//! [`gabor_magnitude`] (`shaders/hypot.wgsl` over two correlations). Same boundary
//! (`reflect`), taps and order of sums as the CPU, with f32 sums where the CPU uses f64.

use bytemuck::{Pod, Zeroable};
use ndarray::{Array2, ArrayView2};

use super::context::{shaped, Job, Slot};
use super::separable::separable_pass;
use super::shaders::{ADD, SOBEL_MAGNITUDE};
use super::{GpuContext, GpuError};
use crate::cpu::filters::gaussian_taps;

pub(crate) use super::correlate::record_correlate;
pub use super::correlate::{correlate, gabor_magnitude, MAX_GPU_KERNEL_SIDE};

/// Mirrors `Params` in `shaders/sobel_magnitude.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct SobelParams {
    pub(crate) rows: u32,
    pub(crate) cols: u32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
}

/// Mirrors `Params` in `shaders/add.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(crate) struct AddParams {
    pub(crate) len: u32,
    pub(crate) scale: f32,
    pub(crate) _pad0: u32,
    pub(crate) _pad1: u32,
}

const _: () = assert!(size_of::<AddParams>() == ADD.params_size as usize);
const _: () = assert!(size_of::<SobelParams>() == SOBEL_MAGNITUDE.params_size as usize);

/// [`cpu::filters::gaussian`](crate::cpu::filters::gaussian) on the GPU: Gaussian
/// smoothing with `sigma` per axis (rows, cols) in pixels, truncated at 4 sigma, boundary
/// `reflect`, as `scipy.ndimage.gaussian_filter`.
pub fn gaussian(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
    sigma: [f64; 2],
) -> Result<Array2<f32>, GpuError> {
    let (rows, cols) = input.dim();
    if rows == 0 || cols == 0 {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("gaussian", |job| {
        let image = job.upload_image("gaussian input", &input)?;
        let output = record_gaussian(job, &image, [rows, cols], sigma)?;
        shaped(job, [rows, cols], &output)
    })
}

/// Records [`gaussian`] of the `[rows, cols]` image (not empty) in `input` into a new
/// slot.
pub(crate) fn record_gaussian(
    job: &mut Job<'_>,
    input: &Slot,
    shape: [usize; 2],
    sigma: [f64; 2],
) -> Result<Slot, GpuError> {
    let len = shape[0] * shape[1];
    let between = job.output("gaussian intermediate", len)?;
    let output = job.output("gaussian output", len)?;
    separable_pass(
        job,
        shape,
        0,
        &gaussian_taps(sigma[0], false),
        input,
        &between,
    )?;
    separable_pass(
        job,
        shape,
        1,
        &gaussian_taps(sigma[1], false),
        &between,
        &output,
    )?;
    job.recycle(between);
    Ok(output)
}

/// [`cpu::filters::gaussian_laplace`](crate::cpu::filters::gaussian_laplace) on the GPU:
/// the Laplacian of Gaussian as `scipy.ndimage.gaussian_laplace` (not scale-normalised),
/// the second derivative along rows (Gaussian along columns) plus the second derivative
/// along columns (Gaussian along rows), four separable passes and one sum.
pub fn gaussian_laplace(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
    sigma: f64,
) -> Result<Array2<f32>, GpuError> {
    let (rows, cols) = input.dim();
    if rows == 0 || cols == 0 {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("gaussian_laplace", |job| {
        let image = job.upload_image("LoG input", &input)?;
        let output = record_gaussian_laplace(job, &image, [rows, cols], sigma, 1.0)?;
        shaped(job, [rows, cols], &output)
    })
}

/// Records [`gaussian_laplace`] of the `[rows, cols]` image (not empty) in `input`,
/// times `scale` in f32 after the sum (sigma² for the scale-normalised LoG, as the
/// pipeline's CPU maps; 1 otherwise, which is exact), into a new slot.
pub(crate) fn record_gaussian_laplace(
    job: &mut Job<'_>,
    input: &Slot,
    shape: [usize; 2],
    sigma: f64,
    scale: f32,
) -> Result<Slot, GpuError> {
    let (_, mut laplace) = record_gaussian_family(job, input, shape, sigma, false, &[scale])?;
    laplace.pop().ok_or(GpuError::Unsupported {
        what: "a Laplacian of Gaussian without a scale".into(),
    })
}

/// Records the Gaussian (when `gaussian`) and the Laplacian of Gaussian times each of
/// `log_scales` of one `sigma` together: the Gaussian down the columns is shared by the
/// Gaussian and the LoG's second term, so both take five passes instead of six, with the
/// same passes and sums as [`record_gaussian`] and [`record_gaussian_laplace`].
pub(crate) fn record_gaussian_family(
    job: &mut Job<'_>,
    input: &Slot,
    shape: [usize; 2],
    sigma: f64,
    gaussian: bool,
    log_scales: &[f32],
) -> Result<(Option<Slot>, Vec<Slot>), GpuError> {
    let (g, d) = (gaussian_taps(sigma, false), gaussian_taps(sigma, true));
    let len = shape[0] * shape[1];
    let down_g = job.output("Gaussian down the columns", len)?;
    separable_pass(job, shape, 0, &g, input, &down_g)?;
    let smoothed = if gaussian {
        let output = job.output("gaussian output", len)?;
        separable_pass(job, shape, 1, &g, &down_g, &output)?;
        Some(output)
    } else {
        None
    };
    let mut laplace = Vec::with_capacity(log_scales.len());
    if !log_scales.is_empty() {
        let down_d = job.output("LoG intermediate", len)?;
        let along_rows = job.output("LoG along rows", len)?;
        let along_cols = job.output("LoG along columns", len)?;
        separable_pass(job, shape, 0, &d, input, &down_d)?;
        separable_pass(job, shape, 1, &g, &down_d, &along_rows)?;
        separable_pass(job, shape, 1, &d, &down_g, &along_cols)?;
        for &scale in log_scales {
            let output = job.output("LoG output", len)?;
            let params = job.params(
                &ADD,
                &AddParams {
                    len: len as u32,
                    scale,
                    _pad0: 0,
                    _pad1: 0,
                },
            )?;
            job.dispatch(
                &ADD,
                &[&params, &along_rows, &along_cols, &output],
                len as u64,
            )?;
            laplace.push(output);
        }
        job.recycle(down_d);
        job.recycle(along_rows);
        job.recycle(along_cols);
    }
    job.recycle(down_g);
    Ok((smoothed, laplace))
}

/// [`cpu::filters::sobel_magnitude`](crate::cpu::filters::sobel_magnitude) on the GPU:
/// `hypot(sobel(x, 0), sobel(x, 1))` with scipy's unnormalised kernels and `reflect`.
pub fn sobel_magnitude(
    ctx: &GpuContext,
    input: ArrayView2<'_, f32>,
) -> Result<Array2<f32>, GpuError> {
    let (rows, cols) = input.dim();
    if rows == 0 || cols == 0 {
        return Ok(Array2::zeros((rows, cols)));
    }
    ctx.run("sobel_magnitude", |job| {
        let image = job.upload_image("sobel input", &input)?;
        let output = record_sobel_magnitude(job, &image, [rows, cols])?;
        shaped(job, [rows, cols], &output)
    })
}

/// Records [`sobel_magnitude`] of the `[rows, cols]` image (not empty) in `input` into a
/// new slot.
pub(crate) fn record_sobel_magnitude(
    job: &mut Job<'_>,
    input: &Slot,
    [rows, cols]: [usize; 2],
) -> Result<Slot, GpuError> {
    let output = job.output("sobel output", rows * cols)?;
    let params = job.params(
        &SOBEL_MAGNITUDE,
        &SobelParams {
            rows: rows as u32,
            cols: cols as u32,
            _pad0: 0,
            _pad1: 0,
        },
    )?;
    job.dispatch(
        &SOBEL_MAGNITUDE,
        &[&params, input, &output],
        (rows * cols) as u64,
    )?;
    Ok(output)
}
