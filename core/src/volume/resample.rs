//! 3D resampling of scans and masks onto IBSI's centre-aligned grid.
//!
//! IBSI (manual, "Interpolation", *align grid centres*) places the new grid so that its
//! centre coincides with the old one: along an axis of `n_a` voxels at spacing `s_a`, the
//! new grid has `n_b = ⌈n_a s_a / s_b⌉` voxels at spacing `s_b`, the first one at
//! `(s_a (n_a − 1) − s_b (n_b − 1)) / 2` mm from the old first centre along that axis.
//! Direction cosines are kept, so the new grid is the old one rescaled about its centre.
//!
//! Values are interpolated linearly along each axis in turn (x, then y, then z), which is
//! trilinear interpolation; an axis whose spacing does not change and whose centres
//! coincide is copied, so `[2, 2, 3]` on a 3 mm stack is IBSI's in-plane bilinear
//! interpolation. Positions beyond the outer centres take the nearest edge value (IBSI
//! pads with the boundary values before extrapolating; every new centre lies within
//! half an old voxel of the old grid).
//!
//! A mask is interpolated as 0/1 values and thresholded at 0.5 (IBSI's partial volume
//! threshold), so image and mask stay on one grid.

use super::{Grid, Mask, Volume};

/// Why a volume cannot be resampled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResampleError {
    /// A requested spacing that is not a positive finite number.
    #[error("resampling spacing must be positive and finite, got {0:?} mm")]
    BadSpacing([f64; 3]),
    /// The volume has no voxel along some axis.
    #[error("cannot resample an empty volume of size {0:?}")]
    Empty([usize; 3]),
    /// The new grid would hold more voxels than allowed.
    #[error(
        "resampling to {spacing:?} mm gives a grid of {size:?} = {voxels} voxels, over the \
         limit of {limit}; choose a coarser spacing"
    )]
    TooLarge {
        /// The requested spacing.
        spacing: [f64; 3],
        /// The new grid's size (x, y, z).
        size: [usize; 3],
        /// Its voxels.
        voxels: u128,
        /// The limit.
        limit: usize,
    },
}

/// The centre-aligned grid with `spacing` (x, y, z, mm) over the same region as `grid`;
/// at most `max_voxels` voxels.
pub fn aligned_grid(
    grid: &Grid,
    spacing: [f64; 3],
    max_voxels: usize,
) -> Result<Grid, ResampleError> {
    if !spacing.iter().all(|s| s.is_finite() && *s > 0.0) {
        return Err(ResampleError::BadSpacing(spacing));
    }
    if grid.is_empty() {
        return Err(ResampleError::Empty(grid.size));
    }
    let mut size = [0usize; 3];
    let mut offset = [0.0f64; 3];
    for axis in 0..3 {
        let (n_a, s_a, s_b) = (grid.size[axis] as f64, grid.spacing[axis], spacing[axis]);
        // A relative slack keeps 60 · 3 / 3 at 60 when the spacings carry rounding.
        let n_b = (n_a * s_a / s_b * (1.0 - 1e-12)).ceil().max(1.0);
        size[axis] = n_b.min(usize::MAX as f64) as usize;
        // In old index units, where the first new centre lies.
        offset[axis] = (s_a * (n_a - 1.0) - s_b * (n_b - 1.0)) / 2.0 / s_a;
    }
    let voxels = size.iter().map(|&n| n as u128).product::<u128>();
    if voxels > max_voxels as u128 {
        return Err(ResampleError::TooLarge {
            spacing,
            size,
            voxels,
            limit: max_voxels,
        });
    }
    Ok(Grid {
        size,
        spacing,
        origin: grid.point(offset),
        direction: grid.direction,
    })
}

/// `volume` linearly interpolated onto `target`, a grid from [`aligned_grid`] of the
/// volume's own grid (same direction; only sizes, spacings and origin differ).
pub fn resample_volume(volume: &Volume, target: &Grid) -> Volume {
    Volume {
        grid: target.clone(),
        voxels: separable_linear(&volume.voxels, &volume.grid, target),
    }
}

/// `mask` interpolated as 0/1 onto `target` (as [`resample_volume`]) and thresholded at
/// 0.5: a voxel is inside when at least half of its interpolated weight is.
pub fn resample_mask(mask: &Mask, target: &Grid) -> Mask {
    let weights: Vec<f32> = mask
        .voxels
        .iter()
        .map(|&inside| f32::from(u8::from(inside)))
        .collect();
    let voxels = separable_linear(&weights, &mask.grid, target)
        .into_iter()
        .map(|w| w >= 0.5)
        .collect();
    Mask {
        grid: target.clone(),
        voxels,
        roi: mask.roi.clone(),
    }
}

/// One axis of the interpolation: for each new index, the two old indices and the
/// weight of the second.
#[derive(Debug)]
struct AxisTaps {
    taps: Vec<(usize, usize, f64)>,
    /// Every new centre is an old one (spacing and position unchanged).
    identity: bool,
}

impl AxisTaps {
    fn new(source: &Grid, target: &Grid, axis: usize) -> Self {
        let n_a = source.size[axis];
        let first = first_index(source, target, axis);
        let step = target.spacing[axis] / source.spacing[axis];
        let taps: Vec<(usize, usize, f64)> = (0..target.size[axis])
            .map(|k| {
                let x = (first + k as f64 * step).clamp(0.0, (n_a - 1) as f64);
                let lo = (x.floor() as usize).min(n_a - 1);
                let hi = (lo + 1).min(n_a - 1);
                (lo, hi, x - lo as f64)
            })
            .collect();
        let identity = taps.len() == n_a
            && taps.iter().enumerate().all(|(k, &(lo, _, w))| {
                (lo == k && w.abs() < 1e-9) || (lo + 1 == k && w > 1.0 - 1e-9)
            });
        Self { taps, identity }
    }
}

/// The old continuous index, along `axis`, of the first new centre.
fn first_index(source: &Grid, target: &Grid, axis: usize) -> f64 {
    source.index(target.origin)[axis]
}

/// Linear interpolation of z-major `values` on `source` at the centres of `target`,
/// axis by axis.
fn separable_linear(values: &[f32], source: &Grid, target: &Grid) -> Vec<f32> {
    let taps = [0, 1, 2].map(|axis| AxisTaps::new(source, target, axis));
    // Shapes as [x, y, z] sizes while the passes replace one axis at a time.
    let mut size = source.size;
    let mut data: Vec<f32> = values.to_vec();
    for (axis, axis_taps) in taps.iter().enumerate() {
        if axis_taps.identity {
            continue;
        }
        let mut new_size = size;
        new_size[axis] = axis_taps.taps.len();
        data = interpolate_axis(&data, size, axis, &axis_taps.taps, new_size);
        size = new_size;
    }
    data
}

/// Replaces axis `axis` of z-major `data` of `size` (x, y, z) by the interpolated one.
fn interpolate_axis(
    data: &[f32],
    size: [usize; 3],
    axis: usize,
    taps: &[(usize, usize, f64)],
    new_size: [usize; 3],
) -> Vec<f32> {
    // Strides of (x, y, z) in z-major order.
    let stride = |s: [usize; 3]| [1, s[0], s[0] * s[1]];
    let (old, new) = (stride(size), stride(new_size));
    let mut out = vec![0.0f32; new_size.iter().product()];
    for z in 0..new_size[2] {
        for y in 0..new_size[1] {
            for x in 0..new_size[0] {
                let at = [x, y, z];
                let (lo, hi, w) = taps[at[axis]];
                let mut base = 0;
                for a in 0..3 {
                    if a != axis {
                        base += at[a] * old[a];
                    }
                }
                let a = f64::from(data[base + lo * old[axis]]);
                let b = f64::from(data[base + hi * old[axis]]);
                out[x * new[0] + y * new[1] + z * new[2]] = (a + (b - a) * w) as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(size: [usize; 3], spacing: [f64; 3]) -> Grid {
        Grid {
            size,
            spacing,
            origin: [10.0, -5.0, 100.0],
            direction: Grid::IDENTITY,
        }
    }

    #[test]
    fn the_new_grid_shares_the_old_centre() {
        // IBSI CT phantom in-plane: 204 columns of 0.977 mm to 2 mm gives 100 columns.
        let old = grid([204, 201, 60], [0.977, 0.977, 3.0]);
        let new = aligned_grid(&old, [2.0, 2.0, 3.0], usize::MAX).expect("a grid");
        assert_eq!(new.size, [100, 99, 60]);
        let centre = |g: &Grid| g.point(g.size.map(|n| (n as f64 - 1.0) / 2.0));
        for (a, b) in centre(&old).iter().zip(centre(&new)) {
            assert!(
                (a - b).abs() < 1e-9,
                "{:?} vs {:?}",
                centre(&old),
                centre(&new)
            );
        }
        assert!(
            (new.origin[2] - 100.0).abs() < 1e-12,
            "z stays on the old slices"
        );
    }

    #[test]
    fn linear_ramps_are_reproduced_and_edges_are_padded() {
        // A ramp in x is exact under linear interpolation inside, constant outside.
        let old = grid([5, 2, 2], [1.0, 1.0, 1.0]);
        let voxels: Vec<f32> = (0..20).map(|i| (i % 5) as f32 * 10.0).collect();
        let volume = Volume {
            grid: old.clone(),
            voxels,
        };
        let new = aligned_grid(&old, [0.5, 1.0, 1.0], usize::MAX).expect("a grid");
        assert_eq!(new.size, [10, 2, 2]);
        let out = resample_volume(&volume, &new);
        // First centre at old index -0.25: padded with the edge value 0.
        let row: Vec<f32> = out.voxels[..10].to_vec();
        assert_eq!(
            row,
            vec![0.0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 32.5, 37.5, 40.0]
        );
    }

    #[test]
    fn masks_keep_voxels_with_half_their_weight_inside() {
        let old = grid([4, 1, 1], [1.0, 1.0, 1.0]);
        let mask = Mask {
            grid: old.clone(),
            voxels: vec![false, true, true, false],
            roi: "r".into(),
        };
        let new = aligned_grid(&old, [2.0, 1.0, 1.0], usize::MAX).expect("a grid");
        // Centres at old indices 0.5 and 2.5: weights 0.5 and 0.5, both inside.
        assert_eq!(resample_mask(&mask, &new).voxels, vec![true, true]);
        let new = aligned_grid(&old, [3.0, 1.0, 1.0], usize::MAX).expect("a grid");
        // Two voxels of 3 mm cover 6 mm: centres at -0.0 ... old index 0 and 3.
        assert_eq!(new.size[0], 2);
        assert_eq!(resample_mask(&mask, &new).voxels, vec![false, false]);
    }

    #[test]
    fn bad_spacings_and_huge_grids_are_errors() {
        let old = grid([4, 4, 4], [1.0, 1.0, 1.0]);
        assert_eq!(
            aligned_grid(&old, [0.0, 1.0, 1.0], 1000),
            Err(ResampleError::BadSpacing([0.0, 1.0, 1.0]))
        );
        assert!(matches!(
            aligned_grid(&old, [0.01, 0.01, 0.01], 1000),
            Err(ResampleError::TooLarge { .. })
        ));
    }
}
