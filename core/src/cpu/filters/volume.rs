//! Separable filters of (z, y, x) volumes: Gaussian, Laplacian of Gaussian and Sobel
//! gradient magnitude, as `scipy.ndimage.gaussian_filter`, `gaussian_laplace` and
//! `sobel` on a float32 array, under any of scipy's four boundary `mode`s.
//!
//! - A filter is a chain of 1-D correlations, axis 0 (z) first, each pass rounded to f32
//!   as scipy stores it in its float32 output; every sum runs in f64 in scipy's tap order
//!   (the 2-D engine's [`correlate_into`](super::separable)). LoG terms are added in f32,
//!   Sobel squares in f64.
//! - [`Dims::Planar`] filters each z slice on its own (axes y and x only): the same as
//!   calling scipy on every `volume[z]`.
//! - Sigma is in voxels per axis; [`sigma_voxels`] converts millimetres with the voxel
//!   spacing, as scipy's `sampling` would. The LoG is not scale-normalised: its unit is
//!   intensity per voxel², the second derivatives along the voxel axes.
//! - Passes along y and z read whole rows (or planes) of the previous pass, never strided
//!   columns; passes along x copy each row into a padded line. Output rows are
//!   independent, so rayon splits them.

use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::gaussian::gaussian_taps_truncated;
use super::separable::{horizontal_row, reflect, vertical_row_with, Taps};

/// How samples past the ends of a line are made up, by scipy's `mode` names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// Zeros (scipy's `constant` with `cval=0`; IBSI's zero padding).
    Constant,
    /// The end sample repeated: `a a a | a b c d | d d d`.
    Nearest,
    /// Periodic: `b c d | a b c d | a b c`.
    Wrap,
    /// Half-sample symmetric: `c b a | a b c d | d c b` (IBSI's mirror).
    #[default]
    Reflect,
}

impl Padding {
    /// Every mode, in documentation order.
    pub const ALL: [Self; 4] = [Self::Constant, Self::Nearest, Self::Wrap, Self::Reflect];

    /// scipy's name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant",
            Self::Nearest => "nearest",
            Self::Wrap => "wrap",
            Self::Reflect => "reflect",
        }
    }

    /// The mode scipy calls `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Which sample of a line of `n` stands at position `i` (any integer); `None` for
    /// the constant zero.
    fn source(self, i: isize, n: usize) -> Option<usize> {
        let last = n as isize - 1;
        match self {
            Self::Constant => (0..=last).contains(&i).then_some(i as usize),
            Self::Nearest => Some(i.clamp(0, last) as usize),
            Self::Wrap => Some(i.rem_euclid(n as isize) as usize),
            Self::Reflect => Some(reflect(i, n)),
        }
    }
}

/// Filter in 3-D or slice by slice. In a recipe it is the number 2 or 3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Dims {
    /// Each z slice in-plane (axes y and x).
    Planar,
    /// Along z, y and x.
    #[default]
    Volumetric,
}

impl Dims {
    /// The axes filtered, in pass order.
    fn axes(self) -> &'static [usize] {
        match self {
            Self::Planar => &[1, 2],
            Self::Volumetric => &[0, 1, 2],
        }
    }
}

impl TryFrom<u8> for Dims {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            2 => Ok(Self::Planar),
            3 => Ok(Self::Volumetric),
            other => Err(format!("dims must be 2 or 3, not {other}")),
        }
    }
}

impl From<Dims> for u8 {
    fn from(dims: Dims) -> Self {
        match dims {
            Dims::Planar => 2,
            Dims::Volumetric => 3,
        }
    }
}

/// Sigma in voxels along (z, y, x) for `sigma_mm` along each axis and the voxel spacing
/// `spacing_zyx` in mm: `sigma_mm[a] / spacing_zyx[a]`.
pub fn sigma_voxels(sigma_mm: [f64; 3], spacing_zyx: [f64; 3]) -> [f64; 3] {
    [0, 1, 2].map(|a| sigma_mm[a] / spacing_zyx[a])
}

/// Gaussian smoothing, `scipy.ndimage.gaussian_filter(x, sigma, mode=padding.name(),
/// truncate=truncate)` with `sigma` in voxels along (z, y, x); [`Dims::Planar`] ignores
/// `sigma[0]`. A sigma of 0 leaves its axis untouched.
pub fn gaussian_3d(
    input: ArrayView3<'_, f32>,
    sigma: [f64; 3],
    truncate: f64,
    padding: Padding,
    dims: Dims,
) -> Array3<f32> {
    let mut work = Work::new(input);
    for &axis in dims.axes() {
        work = work.pass(
            axis,
            &gaussian_taps_truncated(sigma[axis], false, truncate),
            padding,
        );
    }
    work.into_array()
}

/// Laplacian of Gaussian, `scipy.ndimage.gaussian_laplace(x, sigma, mode=padding.name(),
/// truncate=truncate)` with `sigma` in voxels: for each filtered axis, the second
/// derivative of the Gaussian along it and the Gaussian along the others, the terms added
/// in axis order. As in scipy, an axis whose sigma is 0 is neither smoothed nor
/// differentiated, so its term is the image smoothed along the other axes.
pub fn gaussian_laplace_3d(
    input: ArrayView3<'_, f32>,
    sigma: [f64; 3],
    truncate: f64,
    padding: Padding,
    dims: Dims,
) -> Array3<f32> {
    let source = Work::new(input);
    let mut sum: Option<Work> = None;
    let axes = dims.axes();
    // scipy's order: one term per axis, each its own chain of 1-D passes.
    for &term in axes {
        let mut work = source.pass(
            axes[0],
            &gaussian_taps_truncated(sigma[axes[0]], term == axes[0], truncate),
            padding,
        );
        for &axis in &axes[1..] {
            let taps = gaussian_taps_truncated(sigma[axis], term == axis, truncate);
            work = work.pass(axis, &taps, padding);
        }
        sum = Some(match sum {
            None => work,
            Some(mut total) => {
                total
                    .data
                    .par_iter_mut()
                    .zip(&work.data)
                    .for_each(|(t, &w)| *t += w);
                total
            }
        });
    }
    match sum {
        Some(total) => total.into_array(),
        None => Array3::zeros(input.dim()),
    }
}

/// Sobel gradient magnitude `sqrt(Σ_a sobel(x, a)²)` over the filtered axes, each
/// `scipy.ndimage.sobel(x, a, mode=padding.name())`: the unnormalised `[-1, 0, 1]` along
/// `a`, then `[1, 2, 1]` along each other filtered axis. Voxel units: spacing does not
/// scale it.
pub fn sobel_magnitude_3d(input: ArrayView3<'_, f32>, padding: Padding, dims: Dims) -> Array3<f32> {
    let source = Work::new(input);
    let derivative = Taps::new(vec![-1.0, 0.0, 1.0]);
    let smoothing = Taps::new(vec![1.0, 2.0, 1.0]);
    let mut squares = vec![0.0f64; input.len()];
    for &along in dims.axes() {
        let mut work = source.pass(along, &derivative, padding);
        for &axis in dims.axes().iter().filter(|&&a| a != along) {
            work = work.pass(axis, &smoothing, padding);
        }
        squares
            .par_iter_mut()
            .zip(&work.data)
            .for_each(|(s, &g)| *s += f64::from(g) * f64::from(g));
    }
    let magnitude = squares.into_iter().map(|s| s.sqrt() as f32).collect();
    Array3::from_shape_vec(input.dim(), magnitude).unwrap_or_default()
}

/// A (z, y, x) volume in standard order followed by one plane of zeros: `constant`
/// padding points the taps past the ends there.
struct Work {
    data: Vec<f32>,
    shape: [usize; 3],
}

impl Work {
    fn new(input: ArrayView3<'_, f32>) -> Self {
        let (nz, ny, nx) = input.dim();
        let mut data = Vec::with_capacity(input.len() + ny * nx);
        data.extend(input.iter().copied());
        data.resize(input.len() + ny * nx, 0.0);
        Self {
            data,
            shape: [nz, ny, nx],
        }
    }

    fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// `correlate1d(self, taps, axis, mode=padding)`, rounded to f32.
    fn pass(&self, axis: usize, taps: &Taps, padding: Padding) -> Self {
        let [nz, ny, nx] = self.shape;
        let mut out = Self {
            data: vec![0.0; self.data.len()],
            shape: self.shape,
        };
        let len = self.len();
        if len == 0 || taps.is_identity() {
            out.data.copy_from_slice(&self.data);
            return out;
        }
        let source = &self.data[..];
        let rows = &mut out.data[..len];
        if axis == 2 {
            let before = taps.before();
            let margin = taps.len() - 1;
            rows.par_chunks_mut(nx).enumerate().for_each_init(
                || (vec![0.0f32; nx + margin], Vec::new()),
                |(line, starts), (r, dst)| {
                    let row = &source[r * nx..(r + 1) * nx];
                    for (k, sample) in line.iter_mut().enumerate() {
                        *sample = padding
                            .source(k as isize - before as isize, nx)
                            .map_or(0.0, |i| row[i]);
                    }
                    horizontal_row(line, taps, starts, dst);
                },
            );
        } else {
            // Along z the rows are whole planes; along y, the rows of one plane.
            let (lines, width) = if axis == 0 { (nz, ny * nx) } else { (ny, nx) };
            rows.par_chunks_mut(width)
                .enumerate()
                .for_each_init(Vec::new, |starts, (r, dst)| {
                    let block = (r / lines) * lines * width;
                    let row_start =
                        |k: isize| padding.source(k, lines).map_or(len, |i| block + i * width);
                    vertical_row_with(source, taps, row_start, r % lines, starts, dst);
                });
        }
        out
    }

    fn into_array(mut self) -> Array3<f32> {
        let [nz, ny, nx] = self.shape;
        self.data.truncate(self.len());
        Array3::from_shape_vec((nz, ny, nx), self.data).unwrap_or_default()
    }
}

#[cfg(test)]
// A failed unwrap is a failed test.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cpu::filters::gaussian;

    /// Direct evaluation of a separable kernel at one voxel: `Σ input[p(z+a), p(y+b),
    /// p(x+c)] · kz[a] ky[b] kx[c]`, the boundary applied per axis.
    fn direct(input: &Array3<f32>, kernels: [&[f64]; 3], padding: Padding, at: [usize; 3]) -> f64 {
        let shape = input.shape();
        let mut sum = 0.0;
        for (a, &wz) in kernels[0].iter().enumerate() {
            for (b, &wy) in kernels[1].iter().enumerate() {
                for (c, &wx) in kernels[2].iter().enumerate() {
                    let offsets = [a, b, c];
                    let index: Option<Vec<usize>> = (0..3)
                        .map(|d| {
                            let k = at[d] as isize + offsets[d] as isize
                                - (kernels[d].len() / 2) as isize;
                            padding.source(k, shape[d])
                        })
                        .collect();
                    if let Some(i) = index {
                        sum += f64::from(input[(i[0], i[1], i[2])]) * wz * wy * wx;
                    }
                }
            }
        }
        sum
    }

    fn gaussian_kernel(sigma: f64, truncate: f64, order: u8) -> Vec<f64> {
        let radius = (truncate * sigma + 0.5) as i64;
        let phi: Vec<f64> = (-radius..=radius)
            .map(|x| (-(x * x) as f64 / (2.0 * sigma * sigma)).exp())
            .collect();
        let total: f64 = phi.iter().sum();
        (-radius..=radius)
            .zip(phi)
            .map(|(x, p)| {
                let x = x as f64;
                let factor = if order == 2 {
                    (x * x - sigma * sigma) / sigma.powi(4)
                } else {
                    1.0
                };
                p / total * factor
            })
            .collect()
    }

    #[test]
    fn an_impulse_gives_the_product_of_the_1d_kernels() {
        let mut impulse = Array3::<f32>::zeros((9, 11, 13));
        impulse[(4, 5, 6)] = 1.0;
        let sigma = [0.8, 1.1, 1.5];
        let kernels = sigma.map(|s| gaussian_kernel(s, 3.0, 0));
        let got = gaussian_3d(
            impulse.view(),
            sigma,
            3.0,
            Padding::Constant,
            Dims::Volumetric,
        );
        for ((z, y, x), &g) in got.indexed_iter() {
            let (dz, dy, dx) = (z as i64 - 4, y as i64 - 5, x as i64 - 6);
            let tap = |k: &[f64], d: i64| {
                let r = (k.len() / 2) as i64;
                if d.abs() <= r {
                    k[(d + r) as usize]
                } else {
                    0.0
                }
            };
            let expected = tap(&kernels[0], dz) * tap(&kernels[1], dy) * tap(&kernels[2], dx);
            assert!((f64::from(g) - expected).abs() < 1e-7, "({z}, {y}, {x})");
        }
    }

    #[test]
    fn every_padding_matches_a_direct_sum() {
        let input = Array3::from_shape_fn((5, 4, 6), |(z, y, x)| {
            ((z * 13 + y * 7 + x * 3) % 11) as f32 - 5.0
        });
        // Radius 4 with sigma 1 exceeds the shorter axes, so the extension repeats.
        let sigma = [1.0, 1.0, 0.7];
        let smooth = sigma.map(|s| gaussian_kernel(s, 4.0, 0));
        let second = sigma.map(|s| gaussian_kernel(s, 4.0, 2));
        let (d, s) = (vec![-1.0, 0.0, 1.0], vec![1.0, 2.0, 1.0]);
        for padding in Padding::ALL {
            let g = gaussian_3d(input.view(), sigma, 4.0, padding, Dims::Volumetric);
            let log = gaussian_laplace_3d(input.view(), sigma, 4.0, padding, Dims::Volumetric);
            let sobel = sobel_magnitude_3d(input.view(), padding, Dims::Volumetric);
            for (at, &got) in g.indexed_iter() {
                let at = [at.0, at.1, at.2];
                let expected = direct(&input, [&smooth[0], &smooth[1], &smooth[2]], padding, at);
                assert!(
                    (f64::from(got) - expected).abs() < 1e-5,
                    "{padding:?} {at:?}"
                );
                let laplace: f64 = (0..3)
                    .map(|term| {
                        let pick = |a: usize| if a == term { &second[a] } else { &smooth[a] };
                        direct(&input, [pick(0), pick(1), pick(2)], padding, at)
                    })
                    .sum();
                let l = log[(at[0], at[1], at[2])];
                assert!((f64::from(l) - laplace).abs() < 1e-5, "{padding:?} {at:?}");
                let squares: f64 = (0..3)
                    .map(|along| {
                        let pick = |a: usize| if a == along { &d[..] } else { &s[..] };
                        direct(&input, [pick(0), pick(1), pick(2)], padding, at).powi(2)
                    })
                    .sum();
                let m = sobel[(at[0], at[1], at[2])];
                assert!(
                    (f64::from(m) - squares.sqrt()).abs() < 1e-4,
                    "{padding:?} {at:?}"
                );
            }
        }
    }

    #[test]
    fn planar_filters_each_slice_as_the_2d_engine() {
        let input = Array3::from_shape_fn((3, 17, 19), |(z, y, x)| {
            ((z * 5 + y * y + x * 3) % 23) as f32
        });
        let g = gaussian_3d(
            input.view(),
            [9.0, 1.5, 2.0],
            4.0,
            Padding::Reflect,
            Dims::Planar,
        );
        let log = gaussian_laplace_3d(
            input.view(),
            [0.0, 1.5, 1.5],
            4.0,
            Padding::Reflect,
            Dims::Planar,
        );
        let sobel = sobel_magnitude_3d(input.view(), Padding::Reflect, Dims::Planar);
        for z in 0..3 {
            let slice = input.index_axis(ndarray::Axis(0), z);
            assert_eq!(
                g.index_axis(ndarray::Axis(0), z),
                gaussian(slice, [1.5, 2.0])
            );
            assert_eq!(
                log.index_axis(ndarray::Axis(0), z),
                crate::cpu::filters::gaussian_laplace(slice, 1.5)
            );
            assert_eq!(
                sobel.index_axis(ndarray::Axis(0), z),
                crate::cpu::filters::sobel_magnitude(slice)
            );
        }
    }

    #[test]
    fn names_units_and_degenerate_shapes() {
        assert!(Padding::ALL
            .iter()
            .all(|&p| Padding::from_name(p.name()) == Some(p)));
        assert_eq!(Padding::from_name("mirror"), None);
        assert_eq!(Dims::try_from(2), Ok(Dims::Planar));
        assert!(Dims::try_from(1).is_err());
        assert_eq!(sigma_voxels([3.0; 3], [3.0, 0.5, 2.0]), [1.0, 6.0, 1.5]);
        let empty = Array3::<f32>::zeros((0, 4, 5));
        for padding in Padding::ALL {
            assert_eq!(
                gaussian_3d(empty.view(), [1.0; 3], 4.0, padding, Dims::Volumetric).dim(),
                (0, 4, 5)
            );
            assert_eq!(
                sobel_magnitude_3d(empty.view(), padding, Dims::Planar).dim(),
                (0, 4, 5)
            );
        }
        let one = Array3::from_elem((1, 1, 1), 2.0f32);
        // scipy's gaussian_laplace(x, 0) is the sum of one unfiltered term per axis.
        assert_eq!(
            gaussian_laplace_3d(one.view(), [0.0; 3], 4.0, Padding::Wrap, Dims::Volumetric),
            Array3::from_elem((1, 1, 1), 6.0f32)
        );
        assert_eq!(
            gaussian_3d(
                one.view(),
                [2.0; 3],
                4.0,
                Padding::Nearest,
                Dims::Volumetric
            ),
            one
        );
    }
}
