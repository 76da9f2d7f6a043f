//! Resampling on the ITK/SimpleITK grid (DESIGN §3).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// The interpolation kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpolator {
    /// Nearest neighbour.
    Nearest,
    /// Bilinear.
    Linear,
    /// Cubic convolution (Catmull-Rom, Keys a = -0.5).
    Cubic,
    /// Lanczos, 3 lobes.
    Lanczos3,
}

/// How a resize to a target size keeps the aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// The whole image fits; the rest is filled.
    Pad,
    /// The output is filled; the image's excess is cut.
    Crop,
}

/// Where the output samples lie in input pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Output rows and columns.
    pub size: [usize; 2],
    /// Input pixels per output pixel along rows and columns (`s' / s`).
    pub step: [f64; 2],
    /// Input coordinate of the centre of output pixel 0 along rows and columns.
    pub offset: [f64; 2],
    /// Value of output samples outside the input; `None` clamps to the edge.
    pub fill: Option<f32>,
}

impl Grid {
    /// Output spacing `target` (mm) from input `spacing` (mm), size `round(n * s / s')`.
    pub fn to_spacing(_size: [usize; 2], _spacing: [f64; 2], _target: [f64; 2]) -> Grid {
        todo!()
    }
}

impl Grid {
    /// Output size `target_size`, stretching each axis (`s' = n * s / size`).
    pub fn to_size(_size: [usize; 2], _spacing: [f64; 2], _target_size: [usize; 2]) -> Grid {
        todo!()
    }

    /// Output size `target_size` with one spacing for both axes, padded or cropped.
    pub fn to_size_keep_aspect(
        _size: [usize; 2],
        _spacing: [f64; 2],
        _target_size: [usize; 2],
        _fit: Fit,
        _fill: f32,
    ) -> Grid {
        todo!()
    }

    /// Output spacing for an input of `input_spacing`.
    pub fn output_spacing(&self, _input_spacing: [f64; 2]) -> [f64; 2] {
        todo!()
    }
}

/// Gaussian pre-filter sigma per axis for anti-aliasing.
pub fn antialias_sigma(_step: [f64; 2]) -> [f64; 2] {
    todo!()
}

/// Samples `input` on `grid` with `interpolator`.
pub fn resample(_input: ArrayView2<'_, f32>, _grid: &Grid, _interpolator: Interpolator) -> Array2<f32> {
    todo!()
}
