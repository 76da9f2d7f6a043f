//! Gaussian smoothing and the Laplacian of Gaussian, as `scipy.ndimage.gaussian_filter`
//! and `gaussian_laplace` with `mode="reflect"` and `truncate=4.0`.

use ndarray::{Array2, ArrayView2};

use super::separable::{
    for_each_row, horizontal_row, pad_line, separable, vertical_row, widened, Scratch, Taps,
};

/// Kernel radius in standard deviations (scipy's `truncate`).
pub const TRUNCATE: f64 = 4.0;

/// Largest truncation honoured, in standard deviations: the Gaussian is below 1e-55 of
/// its peak there, and a wider kernel only costs time.
pub const MAX_TRUNCATE: f64 = 16.0;

/// Largest sigma honoured, in pixels; larger values are treated as this one. Far beyond
/// any image (a 65 537-tap kernel), it only keeps absurd recipes from exhausting memory.
pub const MAX_SIGMA: f64 = 8192.0;

/// scipy skips an axis whose sigma is at most this.
const MIN_SIGMA: f64 = 1e-15;

/// [`gaussian_taps_truncated`] at scipy's default truncation, [`TRUNCATE`].
pub(crate) fn gaussian_taps(sigma: f64, second_derivative: bool) -> Taps {
    gaussian_taps_truncated(sigma, second_derivative, TRUNCATE)
}

/// The 1-D Gaussian (`order` 0) or its second derivative (`order` 2) as scipy's
/// `_gaussian_kernel1d`, radius `int(truncate sigma + 0.5)`; the identity when scipy
/// would skip the axis (sigma at most 1e-15, or not a number). `truncate` is clamped to
/// `[0, MAX_TRUNCATE]`.
pub(crate) fn gaussian_taps_truncated(sigma: f64, second_derivative: bool, truncate: f64) -> Taps {
    if sigma.is_nan() || sigma <= MIN_SIGMA {
        return Taps::identity();
    }
    let sigma = sigma.min(MAX_SIGMA);
    let truncate = if truncate.is_nan() {
        TRUNCATE
    } else {
        truncate.clamp(0.0, MAX_TRUNCATE)
    };
    let radius = (truncate * sigma + 0.5) as i64;
    let sigma2 = sigma * sigma;
    let mut phi: Vec<f64> = (-radius..=radius)
        .map(|x| {
            let x = x as f64;
            (-0.5 / sigma2 * (x * x)).exp()
        })
        .collect();
    let sum: f64 = phi.iter().sum();
    for p in &mut phi {
        *p /= sum;
    }
    if second_derivative {
        // q(x) = x^2 / sigma^4 - 1 / sigma^2, with the roundings of scipy's polynomial
        // recursion.
        let inverse = 1.0 / sigma2;
        for (p, x) in phi.iter_mut().zip(-radius..=radius) {
            let x = x as f64;
            *p *= -inverse + x * x * (inverse * inverse);
        }
    }
    Taps::new(phi)
}

/// Gaussian smoothing with `sigma` per axis (rows, cols) in pixels, truncated at
/// 4 sigma, boundary `reflect`: `scipy.ndimage.gaussian_filter(x, sigma, mode="reflect")`.
/// A sigma of 0 leaves that axis untouched.
pub fn gaussian(input: ArrayView2<'_, f32>, sigma: [f64; 2]) -> Array2<f32> {
    separable(
        input,
        &gaussian_taps(sigma[0], false),
        &gaussian_taps(sigma[1], false),
    )
}

/// Laplacian of Gaussian, `scipy.ndimage.gaussian_laplace(x, sigma, mode="reflect")`:
/// the second derivative along rows (Gaussian along columns) plus the second derivative
/// along columns (Gaussian along rows). Not scale-normalised.
pub fn gaussian_laplace(input: ArrayView2<'_, f32>, sigma: f64) -> Array2<f32> {
    let (g, d) = (gaussian_taps(sigma, false), gaussian_taps(sigma, true));
    let along_rows = separable(input, &d, &g);
    let along_cols = separable(input, &g, &d);
    along_rows + along_cols
}

/// [`gaussian`] with `[sigma, sigma]` and [`gaussian_laplace`] with `sigma` at once,
/// bit-identical to the two calls: the Gaussian pass down the columns feeds both the
/// smoothed image and the column-derivative term, and each row is filtered while it is in
/// cache.
pub fn gaussian_and_laplace(input: ArrayView2<'_, f32>, sigma: f64) -> (Array2<f32>, Array2<f32>) {
    let (rows, cols) = input.dim();
    let (g, d) = (gaussian_taps(sigma, false), gaussian_taps(sigma, true));
    let data = widened(&input);
    let data = &data[..];
    // Both kernels have the same length, so one margin serves every line.
    let before = g.before();
    let margin = g.len() - 1;
    let mut outputs = for_each_row(
        (rows, cols),
        2,
        || Scratch::new(cols, 2, margin),
        |y, s, outs| {
            let Scratch {
                starts, lines, row, ..
            } = s;
            let [smooth_line, derivative_line] = &mut lines[..] else {
                return;
            };
            vertical_row(
                data,
                rows,
                cols,
                y,
                &g,
                starts,
                &mut smooth_line[before..before + cols],
            );
            pad_line(smooth_line, before, cols);
            vertical_row(
                data,
                rows,
                cols,
                y,
                &d,
                starts,
                &mut derivative_line[before..before + cols],
            );
            pad_line(derivative_line, before, cols);
            let [smooth, laplace] = outs else { return };
            horizontal_row(smooth_line, &g, starts, smooth);
            horizontal_row(derivative_line, &g, starts, laplace);
            horizontal_row(smooth_line, &d, starts, row);
            for (l, &r) in laplace.iter_mut().zip(row.iter()) {
                *l += r;
            }
        },
    );
    let laplace = outputs.pop().unwrap_or_default();
    let smooth = outputs.pop().unwrap_or_default();
    (smooth, laplace)
}
