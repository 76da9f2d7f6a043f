//! Resampling on the ITK/SimpleITK grid (docs/architecture.md, resampling).
//!
//! Positions are measured in input pixels: input pixel `k` has its centre at coordinate `k`
//! along its axis, so the input covers `[-0.5, n - 0.5]`. A [`Grid`] puts the centre of
//! output pixel `(i, j)` at `(offset[0] + i * step[0], offset[1] + j * step[1])`, where
//! `step = s' / s` is the output spacing over the input spacing. [`Grid::to_spacing`] is
//! the ITK grid: the origin (centre of pixel 0) is kept, and the output size is
//! `round(n * s / s')`.
//!
//! Three pixels 1 mm apart resampled to 0.5 mm give six samples at coordinates
//! 0, 0.5, …, 2.5; the last lies past the centre of the last pixel and takes its value:
//!
//! ```
//! use medprep::cpu::resample::{resample, Grid, Interpolator};
//! use ndarray::array;
//!
//! let input = array![[0.0_f32, 10.0, 20.0]];
//! let grid = Grid::to_spacing([1, 3], [1.0, 1.0], [1.0, 0.5]);
//! assert_eq!((grid.size, grid.step), ([1, 6], [1.0, 0.5]));
//! let output = resample(input.view(), &grid, Interpolator::Linear);
//! assert_eq!(output, array![[0.0_f32, 5.0, 10.0, 15.0, 20.0, 20.0]]);
//! ```
//!
//! Kernels are separable: the taps and weights of every output row and column are computed
//! once, then input rows are combined and gathered along columns (or the other way round,
//! whichever costs less). Data stay `f32`; weights are computed in `f64` and stored as `f32`.
//! There is no anti-aliasing here: callers that shrink smooth first with a Gaussian of
//! [`antialias_sigma`].

mod passes;
mod taps;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// The interpolation kernel. Every kernel clamps its taps to the edge of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interpolator {
    /// Nearest neighbour: the pixel `floor(x + 0.5)`, so ties go up (as ITK's
    /// `sitkNearestNeighbor` and `scipy.ndimage` order 0).
    Nearest,
    /// Bilinear, as `scipy.ndimage.affine_transform(order=1, mode="nearest")` and
    /// `sitkLinear`.
    Linear,
    /// Cubic convolution (Catmull-Rom, Keys a = -0.5), 4 taps per axis.
    Cubic,
    /// Lanczos, 3 lobes: `sinc(x) sinc(x / 3)` over 6 taps per axis, weights normalised to
    /// sum to 1.
    Lanczos3,
}

/// How [`Grid::to_size_keep_aspect`] reconciles the aspect ratio with the target size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fit {
    /// The whole image fits; the margin on the other axis takes a fill value.
    Pad,
    /// The target is covered; the image is cropped on the other axis.
    Crop,
}

/// Where the output samples lie in input pixel coordinates.
///
/// Output pixel `(i, j)` samples the input at `(offset[0] + i * step[0], offset[1] + j *
/// step[1])`; input pixel `k` has its centre at `k`. A sample is *outside* when either
/// coordinate `x` of an axis with `n` input pixels fails `-0.5 <= x < n - 0.5` (ITK's
/// `IsInsideBuffer`, half-open). Outside samples take `fill` when it is set; otherwise,
/// and for every sample inside, kernel taps beyond the input clamp to the edge pixel.
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
    /// The grid that returns its input of `size` unchanged.
    pub fn identity(size: [usize; 2]) -> Grid {
        Grid {
            size,
            step: [1.0, 1.0],
            offset: [0.0, 0.0],
            fill: None,
        }
    }

    /// Output spacing `target` (mm) from input `spacing` (mm), size `round(n * s / s')`.
    ///
    /// `round` is half to even, as Python's `int(round(x))` in the usual SimpleITK and scipy
    /// recipes (358.5 → 358); every axis keeps at least one pixel. The origin stays, the
    /// step is `s' / s` and outside samples clamp. Spacings must be positive and finite;
    /// callers bound the output size before resampling.
    pub fn to_spacing(size: [usize; 2], spacing: [f64; 2], target: [f64; 2]) -> Grid {
        let axis = |a: usize| {
            let n = size[a] as f64 * spacing[a] / target[a];
            (
                n.round_ties_even().max(1.0) as usize,
                target[a] / spacing[a],
            )
        };
        let (rows, cols) = (axis(0), axis(1));
        Grid {
            size: [rows.0, cols.0],
            step: [rows.1, cols.1],
            offset: [0.0, 0.0],
            fill: None,
        }
    }

    /// Output `target_size` (at least 1 per axis) on the ITK grid: spacing
    /// `s' = n * s / size` per axis, so the step is `n / size`, the origin stays and outside
    /// samples clamp. The grid does not depend on the input spacing; the parameter keeps
    /// the constructors alike.
    pub fn to_size(size: [usize; 2], _spacing: [f64; 2], target_size: [usize; 2]) -> Grid {
        let target = target_size.map(|t| t.max(1));
        Grid {
            size: target,
            step: [0, 1].map(|a| size[a] as f64 / target[a] as f64),
            offset: [0.0, 0.0],
            fill: None,
        }
    }

    /// Output `target_size` (at least 1 per axis) with one physical spacing for both axes,
    /// so the aspect ratio is kept.
    ///
    /// The spacing is the larger ([`Fit::Pad`]) or smaller ([`Fit::Crop`]) of the per-axis
    /// spacings `n * s / size`. The field of view of the output is centred on the field of
    /// view of the input (the letterbox convention), so along the axis that fits exactly
    /// the output covers `[-0.5, n - 0.5]` and every sample lies inside; this places
    /// samples `(step - 1) / 2` input pixels later than [`Grid::to_size`], which keeps the
    /// origin. With `Pad` the margin takes `fill`; with `Crop` nothing lies outside and
    /// `fill` is unused.
    pub fn to_size_keep_aspect(
        size: [usize; 2],
        spacing: [f64; 2],
        target_size: [usize; 2],
        fit: Fit,
        fill: f32,
    ) -> Grid {
        let target = target_size.map(|t| t.max(1));
        let fitted = [0, 1].map(|a| size[a] as f64 * spacing[a] / target[a] as f64);
        let common = match fit {
            Fit::Pad => fitted[0].max(fitted[1]),
            Fit::Crop => fitted[0].min(fitted[1]),
        };
        let step = [0, 1].map(|a| common / spacing[a]);
        Grid {
            size: target,
            step,
            offset: [0, 1]
                .map(|a| (size[a] as f64 - 1.0) / 2.0 - (target[a] as f64 - 1.0) / 2.0 * step[a]),
            fill: match fit {
                Fit::Pad => Some(fill),
                Fit::Crop => None,
            },
        }
    }

    /// The output spacing for an input of `input_spacing`: `step * s` per axis.
    pub fn output_spacing(&self, input_spacing: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|a| self.step[a] * input_spacing[a])
    }
}

/// The Gaussian sigma (input pixels, per axis) that anti-aliases a resampling by `step`
/// input pixels per output pixel: `max(0, (step - 1) / 2)`, the default of scikit-image's
/// `resize(anti_aliasing=True)`. Zero means no smoothing (enlarging or identity).
pub fn antialias_sigma(step: [f64; 2]) -> [f64; 2] {
    step.map(|s| ((s - 1.0) / 2.0).max(0.0))
}

/// Samples `input` on `grid` with `interpolator`.
///
/// An empty input has nothing to clamp to: every sample is then `fill`, or NaN without one.
/// A non-finite step or offset gives NaN or edge samples, never a panic.
pub fn resample(
    input: ArrayView2<'_, f32>,
    grid: &Grid,
    interpolator: Interpolator,
) -> Array2<f32> {
    let [rows, cols] = grid.size;
    if input.is_empty() {
        return Array2::from_elem((rows, cols), grid.fill.unwrap_or(f32::NAN));
    }
    let input = input.as_standard_layout();
    let mut output = Array2::zeros((rows, cols));
    // A fresh array is contiguous, so the slice is always there.
    if let (Some(src), Some(out)) = (input.as_slice(), output.as_slice_mut()) {
        let shape = [input.nrows(), input.ncols()];
        match interpolator {
            Interpolator::Nearest => passes::run(src, shape, grid, taps::nearest, out),
            Interpolator::Linear => passes::run(src, shape, grid, taps::linear, out),
            Interpolator::Cubic => passes::run(src, shape, grid, taps::cubic, out),
            Interpolator::Lanczos3 => passes::run(src, shape, grid, taps::lanczos3, out),
        }
    }
    output
}

/// One axis of a resampling as a flat table for the GPU twin (`shaders/resample.wgsl`):
/// the number of taps `K`, then for every output index `first` (the first tap in the
/// input padded with `K` copies of the edge pixel per side), `outside` (0 or 1) and the
/// `K` weights as f32 bits, built by the same code as the CPU's taps.
#[cfg(feature = "gpu")]
pub(crate) fn axis_table(
    interpolator: Interpolator,
    n: usize,
    count: usize,
    offset: f64,
    step: f64,
    filled: bool,
) -> (usize, Vec<u32>) {
    fn flat<const K: usize>(taps: taps::AxisTaps<K>, count: usize) -> (usize, Vec<u32>) {
        let mut table = Vec::with_capacity(count * (K + 2));
        for (i, (&first, weights)) in taps.first.iter().zip(&taps.weights).enumerate() {
            table.push(first as u32);
            table.push(u32::from(taps.is_outside(i)));
            table.extend(weights.iter().map(|w| w.to_bits()));
        }
        (K, table)
    }
    match interpolator {
        Interpolator::Nearest => flat(
            taps::AxisTaps::new(taps::nearest, n, count, offset, step, filled),
            count,
        ),
        Interpolator::Linear => flat(
            taps::AxisTaps::new(taps::linear, n, count, offset, step, filled),
            count,
        ),
        Interpolator::Cubic => flat(
            taps::AxisTaps::new(taps::cubic, n, count, offset, step, filled),
            count,
        ),
        Interpolator::Lanczos3 => flat(
            taps::AxisTaps::new(taps::lanczos3, n, count, offset, step, filled),
            count,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    const ALL: [Interpolator; 4] = [
        Interpolator::Nearest,
        Interpolator::Linear,
        Interpolator::Cubic,
        Interpolator::Lanczos3,
    ];
    /// Rounding of f32 sums of a few taps on values of order 100.
    const SUM_TOLERANCE: f32 = 1e-4;

    fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
        let mut state = seed;
        Array2::from_shape_fn((rows, cols), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        })
    }

    fn grids(size: [usize; 2]) -> Vec<Grid> {
        vec![
            Grid::to_spacing(size, [0.7, 0.7], [1.0, 1.0]),
            Grid::to_spacing(size, [2.8, 1.3], [1.0, 1.0]),
            Grid::to_size(size, [1.0, 1.0], [7, 33]),
            Grid {
                size: [9, 11],
                step: [0.9, -1.7],
                offset: [-3.2, 14.6],
                fill: None,
            },
        ]
    }

    #[test]
    fn identity_returns_the_input() {
        for (rows, cols) in [(1, 1), (1, 7), (2, 2), (13, 6)] {
            let input = random(rows, cols, 3);
            for interpolator in ALL {
                let out = resample(input.view(), &Grid::identity([rows, cols]), interpolator);
                assert_eq!(out, input, "{interpolator:?} {rows}x{cols}");
            }
        }
    }

    #[test]
    fn constant_stays_constant() {
        let input = Array2::from_elem((12, 9), 37.25_f32);
        for grid in grids([12, 9]) {
            for interpolator in ALL {
                let out = resample(input.view(), &grid, interpolator);
                assert_eq!(out.dim(), (grid.size[0], grid.size[1]));
                for (at, &v) in out.indexed_iter() {
                    assert!(
                        (v - 37.25).abs() <= SUM_TOLERANCE,
                        "{interpolator:?} {grid:?} {at:?}: {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn linear_and_cubic_reproduce_a_ramp_inside() {
        let (rows, cols) = (20, 30);
        let ramp = |r: f64, c: f64| (3.0 * r - 2.0 * c + 5.0) as f32;
        let input = Array2::from_shape_fn((rows, cols), |(r, c)| ramp(r as f64, c as f64));
        for grid in grids([rows, cols]) {
            for (interpolator, margin) in [(Interpolator::Linear, 0.0), (Interpolator::Cubic, 1.0)]
            {
                let out = resample(input.view(), &grid, interpolator);
                for ((i, j), &v) in out.indexed_iter() {
                    let x = grid.offset[0] + i as f64 * grid.step[0];
                    let y = grid.offset[1] + j as f64 * grid.step[1];
                    let inside = |x: f64, n: usize| x >= margin && x <= (n - 1) as f64 - margin;
                    if inside(x, rows) && inside(y, cols) {
                        let expected = ramp(x, y);
                        assert!(
                            (v - expected).abs() <= SUM_TOLERANCE,
                            "{interpolator:?} at ({i}, {j}): {v} vs {expected}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn transposed_grids_agree() {
        // Tall outputs go rows first, wide ones columns first; transposing swaps the paths.
        let input = random(10, 100, 5);
        let grid = Grid {
            size: [100, 10],
            step: [0.09, 9.7],
            offset: [0.3, 1.1],
            fill: Some(-1.0),
        };
        let transposed = Grid {
            size: [10, 100],
            step: [9.7, 0.09],
            offset: [1.1, 0.3],
            fill: Some(-1.0),
        };
        for interpolator in ALL {
            let a = resample(input.view(), &grid, interpolator);
            let b = resample(input.t(), &transposed, interpolator);
            for ((at, &x), &y) in a.indexed_iter().zip(b.t().iter()) {
                assert!((x - y).abs() <= 1e-6, "{interpolator:?} {at:?}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn nearest_rounds_ties_up_and_fill_is_half_open() {
        let input = array![[1.0_f32, 2.0, 3.0]];
        let grid = Grid {
            size: [1, 5],
            step: [1.0, 0.5],
            offset: [0.0, -0.5],
            fill: Some(-9.0),
        };
        // Coordinates -0.5, 0, 0.5, 1, 1.5: -0.5 is inside, 0.5 and 1.5 round up.
        let out = resample(input.view(), &grid, Interpolator::Nearest);
        assert_eq!(out, array![[1.0_f32, 1.0, 2.0, 2.0, 3.0]]);
        let grid = Grid {
            offset: [0.0, 1.5],
            ..grid
        };
        // Coordinates 1.5 .. 3.5: 2.5 = n - 0.5 is the first outside.
        let out = resample(input.view(), &grid, Interpolator::Linear);
        assert_eq!(out, array![[2.5_f32, 3.0, -9.0, -9.0, -9.0]]);
        let out = resample(
            input.view(),
            &Grid { fill: None, ..grid },
            Interpolator::Linear,
        );
        assert_eq!(out, array![[2.5_f32, 3.0, 3.0, 3.0, 3.0]]);
    }

    #[test]
    fn empty_input_gives_fill_or_nan() {
        let input = Array2::<f32>::zeros((0, 4));
        let grid = Grid::identity([2, 3]);
        let out = resample(
            input.view(),
            &Grid {
                fill: Some(4.0),
                ..grid
            },
            Interpolator::Linear,
        );
        assert_eq!(out, Array2::from_elem((2, 3), 4.0));
        assert!(resample(input.view(), &grid, Interpolator::Cubic)
            .iter()
            .all(|v| v.is_nan()));
        let empty = resample(
            random(3, 3, 1).view(),
            &Grid::identity([0, 3]),
            Interpolator::Linear,
        );
        assert_eq!(empty.dim(), (0, 3));
    }

    #[test]
    fn non_finite_grid_does_not_panic() {
        let input = random(4, 4, 2);
        for interpolator in ALL {
            let grid = Grid {
                size: [3, 3],
                step: [f64::NAN, f64::INFINITY],
                offset: [f64::NEG_INFINITY, 1e300],
                fill: None,
            };
            let _ = resample(input.view(), &grid, interpolator);
            let _ = resample(
                input.view(),
                &Grid {
                    fill: Some(0.0),
                    ..grid
                },
                interpolator,
            );
        }
    }

    #[test]
    fn to_spacing_rounds_half_to_even() {
        let grid = Grid::to_spacing([512, 512], [0.7, 0.7], [1.0, 1.0]);
        assert_eq!(grid.size, [358, 358]);
        assert_eq!(grid.step, [1.0 / 0.7, 1.0 / 0.7]);
        // 717 * 0.5 = 358.5 and 719 * 0.5 = 359.5, as Python's round.
        assert_eq!(
            Grid::to_spacing([717, 719], [0.5, 0.5], [1.0, 1.0]).size,
            [358, 360]
        );
        assert_eq!(
            Grid::to_spacing([1, 2], [0.1, 0.1], [5.0, 5.0]).size,
            [1, 1]
        );
        let grid = Grid::to_spacing([100, 80], [0.5, 0.8], [1.0, 2.0]);
        assert_eq!(grid.output_spacing([0.5, 0.8]), [1.0, 2.0]);
    }

    #[test]
    fn to_size_keeps_the_origin() {
        let grid = Grid::to_size([100, 50], [0.5, 1.0], [40, 200]);
        assert_eq!(grid.size, [40, 200]);
        assert_eq!(grid.step, [2.5, 0.25]);
        assert_eq!(grid.offset, [0.0, 0.0]);
        assert_eq!(grid.output_spacing([0.5, 1.0]), [1.25, 0.25]);
        assert_eq!(Grid::to_size([5, 5], [1.0, 1.0], [0, 5]).size, [1, 5]);
    }

    #[test]
    fn keep_aspect_centres_the_field_of_view() {
        let pad = Grid::to_size_keep_aspect([100, 50], [1.0, 1.0], [64, 64], Fit::Pad, -1.0);
        assert_eq!(pad.step, [1.5625, 1.5625]);
        assert_eq!(pad.fill, Some(-1.0));
        // The fitted axis spans the input exactly; the other has 16 padded columns each side.
        assert_eq!(pad.offset[0], (1.5625 - 1.0) / 2.0);
        let input = Array2::from_elem((100, 50), 1.0_f32);
        let out = resample(input.view(), &pad, Interpolator::Linear);
        for row in out.rows() {
            let filled: Vec<bool> = row.iter().map(|&v| v == -1.0).collect();
            assert!(filled[..16].iter().all(|&f| f) && filled[48..].iter().all(|&f| f));
            assert!(filled[16..48].iter().all(|&f| !f));
        }
        let crop = Grid::to_size_keep_aspect([100, 50], [1.0, 1.0], [64, 64], Fit::Crop, -1.0);
        assert_eq!((crop.step, crop.fill), ([50.0 / 64.0; 2], None));
        assert_eq!(crop.offset[1], (50.0 / 64.0 - 1.0) / 2.0);
        assert!((crop.offset[0] + crop.offset[0] + 63.0 * crop.step[0] - 99.0).abs() < 1e-9);
        // Anisotropic pixels: one physical spacing on both axes.
        let grid = Grid::to_size_keep_aspect([100, 100], [0.5, 1.0], [10, 10], Fit::Pad, 0.0);
        assert_eq!(grid.output_spacing([0.5, 1.0]), [10.0, 10.0]);
    }

    #[test]
    fn antialias_sigma_follows_scikit_image() {
        assert_eq!(antialias_sigma([3.0, 0.5]), [1.0, 0.0]);
        assert_eq!(
            antialias_sigma([1.0, 1.0 / 0.7]),
            [0.0, (1.0 / 0.7 - 1.0) / 2.0]
        );
    }

    #[test]
    fn serde_names_are_kebab_case() {
        let names = serde_json::to_string(&ALL).expect("serialise interpolators");
        assert_eq!(names, r#"["nearest","linear","cubic","lanczos3"]"#);
        assert_eq!(
            serde_json::to_string(&[Fit::Pad, Fit::Crop]).expect("serialise fits"),
            r#"["pad","crop"]"#
        );
    }
}
