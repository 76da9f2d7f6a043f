//! The series-mode part of a recipe: how a scan and its ROI become IBSI features.
//!
//! A recipe with a `[series]` table processes whole scans (a DICOM series with its
//! RTSTRUCT) instead of slices, following IBSI's chain: resampling onto a centre-aligned
//! grid, intensity rounding, re-segmentation of the intensity mask, discretisation, and
//! the feature families with their aggregations ([`crate::volume::radiomics`]).

use serde::{Deserialize, Serialize};

use crate::cpu::stats::{Aggregation, Discretisation};

/// How a scan ROI becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSettings {
    /// The ROI to measure, by name (exact, then ignoring case) or number; absent, every
    /// ROI of the scan's masks gets its own row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roi: Option<String>,
    /// Resampling of image and mask; absent keeps the scan's grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resample: Option<VolumeResample>,
    /// Round intensities to the nearest integer after resampling (IBSI, for CT).
    #[serde(default)]
    pub round_intensities: bool,
    /// Which ROI voxels the intensity features use.
    #[serde(default)]
    pub resegment: Resegment,
    /// Feature families, in column order.
    #[serde(default = "default_families")]
    pub families: Vec<VolumeFamily>,
    /// Grey-level discretisation of the histogram and texture families. A bin width
    /// counts bins from the re-segmentation range's lower bound when there is one.
    pub discretisation: Discretisation,
    /// In-plane (`2d`: 2D and 2.5D aggregations) or volumetric (`3d`) texture.
    #[serde(default)]
    pub texture: Texture,
    /// Write a PNG montage per scan: slices through its ROIs with their outlines.
    #[serde(default = "yes")]
    pub montage: bool,
}

fn yes() -> bool {
    true
}

/// The resampled grid's spacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeResample {
    /// Spacing in mm as `[x, y, z]`, or `[x, y]` to resample in-plane and keep the slices.
    pub spacing: Vec<f64>,
}

impl VolumeResample {
    /// The spacing along x, y and z, the slices' own `z` when only in-plane is given.
    pub fn spacing_xyz(&self, z: f64) -> [f64; 3] {
        match self.spacing[..] {
            [x, y] => [x, y, z],
            [x, y, s] => [x, y, s],
            // `validate` admits only two or three numbers.
            _ => [f64::NAN; 3],
        }
    }
}

/// Re-segmentation: the intensity mask keeps the ROI voxels that pass every criterion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resegment {
    /// Keep voxels with intensities in `[low, high]`; either bound may be infinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    /// Keep voxels within this many standard deviations of the ROI mean (IBSI: 3),
    /// measured after the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outliers: Option<f64>,
}

/// A feature family of series mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeFamily {
    /// The 18 intensity-based statistics (`stat.*`).
    FirstOrder,
    /// The 23 intensity histogram features (`ih.*`).
    IntensityHistogram,
    /// The 25 GLCM features (`cm.*`) under each aggregation of the texture setting.
    Glcm,
}

fn default_families() -> Vec<VolumeFamily> {
    vec![
        VolumeFamily::FirstOrder,
        VolumeFamily::IntensityHistogram,
        VolumeFamily::Glcm,
    ]
}

/// Texture matrices per slice or over the volume.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Texture {
    /// Per slice: IBSI's 2D and 2.5D aggregations.
    #[serde(rename = "2d")]
    Planar,
    /// Over the volume: IBSI's 3D aggregations.
    #[default]
    #[serde(rename = "3d")]
    Volumetric,
}

impl Texture {
    /// The aggregations texture families report, in column order.
    pub fn aggregations(self) -> &'static [Aggregation] {
        match self {
            Self::Planar => &Aggregation::PLANAR,
            Self::Volumetric => &Aggregation::VOLUMETRIC,
        }
    }
}

impl SeriesSettings {
    /// What types alone cannot check.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(resample) = &self.resample {
            if !(2..=3).contains(&resample.spacing.len())
                || !resample.spacing.iter().all(|s| s.is_finite() && *s > 0.0)
            {
                return Err(format!(
                    "series.resample.spacing must be two or three positive numbers ([x, y] or \
                     [x, y, z] mm), got {:?}",
                    resample.spacing
                ));
            }
        }
        if let Some([low, high]) = self.resegment.range {
            if low.is_nan() || high.is_nan() || low > high {
                return Err(format!("series.resegment.range must be [low, high] with low <= high, got [{low}, {high}]"));
            }
        }
        if let Some(sigmas) = self.resegment.outliers {
            if !(sigmas.is_finite() && sigmas > 0.0) {
                return Err(format!("series.resegment.outliers must be a positive number of standard deviations, got {sigmas}"));
            }
        }
        if self.families.is_empty() {
            return Err("series.families is empty: name at least one feature family".into());
        }
        match self.discretisation {
            Discretisation::Bins(0) => Err("series.discretisation bins must be at least 1".into()),
            Discretisation::BinWidth(w) if !(w.is_finite() && w > 0.0) => Err(format!(
                "series.discretisation bin-width must be positive, got {w}"
            )),
            _ => Ok(()),
        }
    }
}
