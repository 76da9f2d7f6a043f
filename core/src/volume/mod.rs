//! Scans as volumes: a voxel grid placed in patient space and the values on it.
//!
//! The grid model is ITK's (and so SimpleITK's, MONAI's and pyradiomics'): index axes
//! x (columns), y (rows), z (slices); `spacing` and `origin` in that order; `direction` a
//! row-major 3×3 matrix whose column k is the unit vector of index axis k in patient
//! coordinates (LPS, as DICOM). The centre of voxel `(i, j, k)` lies at
//! `origin + direction · (spacing ⊙ (i, j, k))`.
//!
//! Voxel values are stored z-major, as numpy holds `sitk.GetArrayFromImage`: the flat
//! index of `(x, y, z)` is `(z · ny + y) · nx + x`, and [`Volume::view`] gives the
//! (z, y, x) array.

use ndarray::{ArrayView3, ArrayViewMut3};

pub mod mask_error;
pub mod mask_file;
pub mod nifti;
pub mod radiomics;
pub mod resample;
pub mod rtstruct;
pub mod seg;
pub mod series;

/// Where the voxels of a volume lie in patient space.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Voxels along x (columns), y (rows) and z (slices).
    pub size: [usize; 3],
    /// Distance between voxel centres in mm along x, y and z.
    pub spacing: [f64; 3],
    /// Patient position (LPS, mm) of the centre of voxel (0, 0, 0).
    pub origin: [f64; 3],
    /// Direction cosines, row-major; column k is the direction of index axis k.
    pub direction: [f64; 9],
}

impl Grid {
    /// The identity direction.
    pub const IDENTITY: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

    /// Number of voxels.
    pub fn len(&self) -> usize {
        self.size.iter().product()
    }

    /// Whether the grid holds no voxel.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The (z, y, x) shape of arrays on this grid.
    pub fn shape_zyx(&self) -> [usize; 3] {
        [self.size[2], self.size[1], self.size[0]]
    }

    /// Patient position of a continuous index (x, y, z).
    pub fn point(&self, index: [f64; 3]) -> [f64; 3] {
        let d = &self.direction;
        let s = [
            index[0] * self.spacing[0],
            index[1] * self.spacing[1],
            index[2] * self.spacing[2],
        ];
        [
            self.origin[0] + d[0] * s[0] + d[1] * s[1] + d[2] * s[2],
            self.origin[1] + d[3] * s[0] + d[4] * s[1] + d[5] * s[2],
            self.origin[2] + d[6] * s[0] + d[7] * s[1] + d[8] * s[2],
        ]
    }

    /// Continuous index (x, y, z) of a patient position; the inverse of [`Grid::point`]
    /// for an orthonormal direction (its inverse is its transpose).
    pub fn index(&self, point: [f64; 3]) -> [f64; 3] {
        let d = &self.direction;
        let p = [
            point[0] - self.origin[0],
            point[1] - self.origin[1],
            point[2] - self.origin[2],
        ];
        [
            (d[0] * p[0] + d[3] * p[1] + d[6] * p[2]) / self.spacing[0],
            (d[1] * p[0] + d[4] * p[1] + d[7] * p[2]) / self.spacing[1],
            (d[2] * p[0] + d[5] * p[1] + d[8] * p[2]) / self.spacing[2],
        ]
    }

    /// Whether `other` places the same voxels at the same positions, within `tolerance`
    /// mm for positions and spacings (directions within `tolerance` / 1000).
    pub fn matches(&self, other: &Grid, tolerance: f64) -> bool {
        let close = |a: &[f64], b: &[f64], t: f64| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= t);
        self.size == other.size
            && close(&self.spacing, &other.spacing, tolerance)
            && close(&self.origin, &other.origin, tolerance)
            && close(&self.direction, &other.direction, tolerance / 1000.0)
    }
}

/// Values on a grid: a scan in physical units (f32, as [`Image`](crate::Image)).
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Where the voxels are.
    pub grid: Grid,
    /// Voxel values, z-major (see the module documentation); `grid.len()` of them.
    pub voxels: Vec<f32>,
}

impl Volume {
    /// The values as a (z, y, x) array.
    pub fn view(&self) -> ArrayView3<'_, f32> {
        ArrayView3::from_shape(self.grid.shape_zyx(), &self.voxels)
            .expect("a volume holds grid.len() voxels")
    }

    /// The values as a mutable (z, y, x) array.
    pub fn view_mut(&mut self) -> ArrayViewMut3<'_, f32> {
        ArrayViewMut3::from_shape(self.grid.shape_zyx(), &mut self.voxels)
            .expect("a volume holds grid.len() voxels")
    }
}

/// A region of interest on a grid: `true` inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// Where the voxels are.
    pub grid: Grid,
    /// Inside (true) or outside, z-major like [`Volume::voxels`].
    pub voxels: Vec<bool>,
    /// The ROI's name (RTSTRUCT ROI Name, SEG Segment Label, or the label number of a
    /// label map).
    pub roi: String,
}

impl Mask {
    /// The mask as a (z, y, x) array.
    pub fn view(&self) -> ArrayView3<'_, bool> {
        ArrayView3::from_shape(self.grid.shape_zyx(), &self.voxels)
            .expect("a mask holds grid.len() voxels")
    }

    /// Number of voxels inside.
    pub fn count(&self) -> usize {
        self.voxels.iter().filter(|&&inside| inside).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_and_index_are_inverse_on_an_oblique_grid() {
        let (c, s) = (0.6f64, 0.8f64);
        let grid = Grid {
            size: [4, 5, 6],
            spacing: [0.5, 0.7, 2.5],
            origin: [-10.0, 3.0, 40.0],
            direction: [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0],
        };
        let p = grid.point([1.0, 2.0, 3.0]);
        let expected = [-10.0 + c * 0.5 - s * 1.4, 3.0 + s * 0.5 + c * 1.4, 47.5];
        for (a, b) in p.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{p:?} vs {expected:?}");
        }
        let back = grid.index(p);
        for (a, b) in back.iter().zip([1.0, 2.0, 3.0]) {
            assert!((a - b).abs() < 1e-12, "{back:?}");
        }
    }
}
