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

/// Samples `input` on `grid` with `interpolator`.
pub fn resample(_input: ArrayView2<'_, f32>, _grid: &Grid, _interpolator: Interpolator) -> Array2<f32> {
    todo!()
}
