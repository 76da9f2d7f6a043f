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

/// Gradient magnitude `hypot(sobel_rows, sobel_cols)` with scipy's unnormalised kernels.
pub fn sobel_magnitude(_input: ArrayView2<'_, f32>) -> Array2<f32> {
    todo!()
}

/// Correlation with `kernel`, as `scipy.ndimage.correlate` with `mode="reflect"`.
pub fn correlate(_input: ArrayView2<'_, f32>, _kernel: ArrayView2<'_, f32>) -> Array2<f32> {
    todo!()
}
