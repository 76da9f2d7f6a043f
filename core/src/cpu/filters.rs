//! Linear filters with scipy.ndimage semantics (DESIGN §3).

use ndarray::{Array2, ArrayView2};

/// Gaussian smoothing, `sigma` per axis (rows, cols) in pixels, truncated at 4 sigma.
pub fn gaussian(_input: ArrayView2<'_, f32>, _sigma: [f64; 2]) -> Array2<f32> {
    todo!()
}

/// Laplacian of Gaussian, as `scipy.ndimage.gaussian_laplace`.
pub fn gaussian_laplace(_input: ArrayView2<'_, f32>, _sigma: f64) -> Array2<f32> {
    todo!()
}

/// Gaussian and Laplacian of Gaussian of one sigma, sharing passes.
pub fn gaussian_and_laplace(_input: ArrayView2<'_, f32>, _sigma: f64) -> (Array2<f32>, Array2<f32>) {
    todo!()
}

/// Gradient magnitude `hypot(sobel_rows, sobel_cols)` with scipy's unnormalised kernels.
pub fn sobel_magnitude(_input: ArrayView2<'_, f32>) -> Array2<f32> {
    todo!()
}

/// Correlation with `kernel`, as `scipy.ndimage.correlate` with `mode="reflect"`.
pub fn correlate(_input: ArrayView2<'_, f32>, _kernel: ArrayView2<'_, f32>) -> Array2<f32> {
    todo!()
}

/// Gabor kernel parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gabor {
    /// Envelope sigma in pixels.
    pub sigma: f64,
    /// Wavelength in pixels.
    pub wavelength: f64,
    /// Orientation in radians.
    pub orientation: f64,
    /// Aspect ratio gamma.
    pub aspect: f64,
    /// Phase offset psi.
    pub phase: f64,
}

/// The real Gabor kernel.
pub fn gabor_kernel(_gabor: &Gabor) -> Array2<f32> {
    todo!()
}

/// Why a kernel bank could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("kernel bank")]
pub struct KernelBankError;

/// Reads a kernel bank from `.npy`.
pub fn load_kernel_bank(_path: &std::path::Path) -> Result<Vec<Array2<f32>>, KernelBankError> {
    todo!()
}
