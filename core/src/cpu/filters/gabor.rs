//! Gabor filters: the kernel, its response (a correlation, as every kernel here) and the
//! magnitude of the complex response, plus a helper that lays out a named bank.
//!
//! Axes: `x` is the column index (growing to the right), `y` the row index (growing
//! downwards), both measured from the kernel centre. With `y` pointing down, a positive
//! orientation turns the carrier clockwise on screen. This is scikit-image's
//! `filters.gabor_kernel` convention; its kernel is this one divided by
//! `2 pi sigma_x sigma_y` (this one peaks at 1, as OpenCV's `getGaborKernel`).

use std::f64::consts::PI;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::column_name::number_label;

use super::correlate::correlate;
use super::separable::hypot;

/// Half-widths cover this many standard deviations (scikit-image's `n_stds`).
pub const GABOR_STDS: f64 = 3.0;
/// Largest half-width, so a kernel is at most 255 × 255.
pub const MAX_GABOR_RADIUS: usize = 127;

/// One Gabor filter. Missing fields take the defaults below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Gabor {
    /// Standard deviation of the Gaussian envelope along the carrier, in pixels
    /// (default 2.25, about 0.56 × the default wavelength: a bandwidth of one octave).
    pub sigma: f64,
    /// Wavelength of the carrier in pixels, `lambda` (default 4).
    pub wavelength: f64,
    /// Direction of the carrier in radians, `theta` (default 0: the carrier varies along
    /// columns, so the filter responds to vertical edges and stripes).
    pub orientation: f64,
    /// Spatial aspect ratio `gamma`: the envelope's standard deviation across the carrier
    /// is `sigma / gamma` (default 1, a round envelope).
    pub aspect: f64,
    /// Phase offset `psi` in radians (default 0: the even, cosine filter).
    pub phase: f64,
}

impl Default for Gabor {
    fn default() -> Self {
        Self {
            sigma: 2.25,
            wavelength: 4.0,
            orientation: 0.0,
            aspect: 1.0,
            phase: 0.0,
        }
    }
}

/// A Gabor parameter outside its domain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Gabor {name} must be a positive finite number, got {value}")]
pub struct InvalidGabor {
    /// The parameter's name.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

impl Gabor {
    /// Checks that sigma, wavelength and aspect are positive and finite and that
    /// orientation and phase are finite.
    pub fn validate(&self) -> Result<(), InvalidGabor> {
        for (name, value) in [
            ("sigma", self.sigma),
            ("wavelength", self.wavelength),
            ("aspect", self.aspect),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(InvalidGabor { name, value });
            }
        }
        for (name, value) in [("orientation", self.orientation), ("phase", self.phase)] {
            if !value.is_finite() {
                return Err(InvalidGabor { name, value });
            }
        }
        Ok(())
    }

    /// Half-widths `(rows, cols)`: `ceil(max(|3 sx cos t|, |3 sy sin t|, 1))` along `x` and
    /// `ceil(max(|3 sy cos t|, |3 sx sin t|, 1))` along `y`, with `sx = sigma` and
    /// `sy = sigma / gamma` (scikit-image's rule), each at most [`MAX_GABOR_RADIUS`].
    pub fn radius(&self) -> (usize, usize) {
        let (sx, sy) = (self.sigma, self.sigma / self.aspect);
        let (c, s) = (self.orientation.cos(), self.orientation.sin());
        let half = |a: f64, b: f64| {
            let r = (GABOR_STDS * a)
                .abs()
                .max((GABOR_STDS * b).abs())
                .max(1.0)
                .ceil();
            // `as` saturates NaN to 0; the clamp bounds the rest.
            (r as usize).clamp(1, MAX_GABOR_RADIUS)
        };
        (half(sy * c, sx * s), half(sx * c, sy * s))
    }

    /// Kernel of `envelope(x', y') * carrier(2 pi x' / lambda + psi)`.
    fn kernel_with(&self, carrier: impl Fn(f64) -> f64) -> Array2<f32> {
        if self.validate().is_err() {
            return Array2::zeros((1, 1));
        }
        let (ry, rx) = self.radius();
        let (c, s) = (self.orientation.cos(), self.orientation.sin());
        let (sx, sy) = (self.sigma, self.sigma / self.aspect);
        Array2::from_shape_fn((2 * ry + 1, 2 * rx + 1), |(i, j)| {
            let (x, y) = (j as f64 - rx as f64, i as f64 - ry as f64);
            let xr = x * c + y * s;
            let yr = -x * s + y * c;
            let envelope = (-0.5 * (xr * xr / (sx * sx) + yr * yr / (sy * sy))).exp();
            (envelope * carrier(2.0 * PI * xr / self.wavelength + self.phase)) as f32
        })
    }
}

/// The real Gabor kernel
/// `exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / lambda + psi)` with
/// `x' = x cos theta + y sin theta`, `y' = -x sin theta + y cos theta`, `x` the column and
/// `y` the row offset from the centre; shape `(2 ry + 1, 2 rx + 1)` from
/// [`Gabor::radius`]. Parameters that fail [`Gabor::validate`] give a 1 × 1 zero kernel.
pub fn gabor_kernel(gabor: &Gabor) -> Array2<f32> {
    gabor.kernel_with(f64::cos)
}

/// The imaginary (sine) part of the complex Gabor kernel, the quadrature partner of
/// [`gabor_kernel`].
pub fn gabor_kernel_imaginary(gabor: &Gabor) -> Array2<f32> {
    gabor.kernel_with(f64::sin)
}

/// The Gabor response map: `correlate(input, gabor_kernel(gabor))`.
pub fn gabor(input: ArrayView2<'_, f32>, gabor: &Gabor) -> Array2<f32> {
    correlate(input, gabor_kernel(gabor).view())
}

/// Magnitude of the complex Gabor response: `hypot` of the correlations with the real
/// and the imaginary kernel. Unlike the real response it does not oscillate with the
/// position of an edge inside the carrier.
pub fn gabor_magnitude(input: ArrayView2<'_, f32>, gabor: &Gabor) -> Array2<f32> {
    let mut real = correlate(input, gabor_kernel(gabor).view());
    let imaginary = correlate(input, gabor_kernel_imaginary(gabor).view());
    real.zip_mut_with(&imaginary, |r, &i| *r = hypot(f64::from(*r), f64::from(i)));
    real
}

/// A filter of a bank with its map name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedGabor {
    /// Map name, `gabor_l<wavelength>_t<degrees>`, e.g. `gabor_l4_t45`; numbers are
    /// rounded to 0.1 with the point written `p` (`gabor_l5p5_t22p5`) so the name is a
    /// valid column name everywhere.
    pub name: String,
    /// The filter.
    pub gabor: Gabor,
}

/// The `wavelengths × orientations` bank, wavelength-major: orientations
/// `k * 180° / orientations` for `k` in `0..orientations`, `sigma = sigma_per_wavelength *
/// wavelength`, round envelope, even phase.
pub fn gabor_bank(
    orientations: usize,
    wavelengths: &[f64],
    sigma_per_wavelength: f64,
) -> Vec<NamedGabor> {
    let mut bank = Vec::with_capacity(orientations * wavelengths.len());
    for &wavelength in wavelengths {
        for k in 0..orientations {
            let degrees = 180.0 * k as f64 / orientations as f64;
            bank.push(NamedGabor {
                name: format!("gabor_l{}_t{}", label(wavelength), label(degrees)),
                gabor: Gabor {
                    sigma: sigma_per_wavelength * wavelength,
                    wavelength,
                    orientation: degrees.to_radians(),
                    ..Gabor::default()
                },
            });
        }
    }
    bank
}

/// `v` rounded to 0.1, as it appears in a column name.
fn label(v: f64) -> String {
    number_label((v * 10.0).round() / 10.0)
}
