//! The series-mode part of a recipe: how a scan and its ROI become IBSI features.
//!
//! A recipe with a `[series]` table processes whole scans (a DICOM series with its
//! RTSTRUCT) instead of slices, following IBSI's chain: resampling onto a centre-aligned
//! grid, intensity rounding, re-segmentation of the intensity mask, discretisation, and
//! the feature families with their aggregations ([`crate::volume::radiomics`]).
//! Optional [`SeriesFilter`]s add response maps (IBSI-2) measured over the same mask.

use serde::{Deserialize, Serialize};

use ndarray::{Array3, ArrayView3};

use crate::cpu::filters::{
    gaussian_3d, gaussian_laplace_3d, sigma_voxels, sobel_magnitude_3d, Dims, Padding,
    MAX_TRUNCATE, TRUNCATE,
};
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
    /// Write each scan's processed image (resampled, rounded: what the features were
    /// computed on) and each ROI's morphological mask on it as NIfTI.
    #[serde(default)]
    pub volumes: bool,
    /// Response maps whose first-order statistics follow the original image's columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<SeriesFilter>,
}

/// A convolutional filter of the processed (resampled, rounded) image, IBSI-2 style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SeriesFilter {
    /// Which filter.
    pub kind: FilterKind,
    /// Standard deviation of the Gaussian in mm, along every axis (Gaussian and LoG only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_mm: Option<f64>,
    /// The boundary, by scipy's name.
    #[serde(default)]
    pub padding: Padding,
    /// 3 filters the volume, 2 each slice in-plane.
    #[serde(default)]
    pub dims: Dims,
    /// Kernel radius in standard deviations (Gaussian and LoG).
    #[serde(default = "default_truncate")]
    pub truncate: f64,
}

fn default_truncate() -> f64 {
    TRUNCATE
}

/// The filters of series mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FilterKind {
    /// Gaussian smoothing.
    Gaussian,
    /// Laplacian of Gaussian (not scale-normalised).
    Log,
    /// Sobel gradient magnitude.
    Sobel,
}

impl FilterKind {
    fn name(self) -> &'static str {
        match self {
            Self::Gaussian => "gaussian",
            Self::Log => "log",
            Self::Sobel => "sobel",
        }
    }
}

impl SeriesFilter {
    /// The response map's name, the prefix of its columns: the kind, then what differs
    /// from the defaults, with `p` for a decimal point so that it is a plain identifier:
    /// `log_sigma_1p5mm`, `gaussian_sigma_2mm_2d_nearest`, `sobel`.
    pub fn map_name(&self) -> String {
        let number = |x: f64| format!("{x}").replace('.', "p");
        let mut name = self.kind.name().to_owned();
        if let Some(sigma) = self.sigma_mm {
            name.push_str(&format!("_sigma_{}mm", number(sigma)));
        }
        if self.dims == Dims::Planar {
            name.push_str("_2d");
        }
        if self.padding != Padding::Reflect {
            name.push('_');
            name.push_str(self.padding.name());
        }
        if self.kind != FilterKind::Sobel && self.truncate != TRUNCATE {
            name.push_str(&format!("_truncate_{}", number(self.truncate)));
        }
        name
    }

    /// The response map of `image` (z, y, x) with voxel spacing `spacing_zyx` in mm: sigma
    /// in voxels is `sigma-mm / spacing` per axis.
    pub fn response(&self, image: ArrayView3<'_, f32>, spacing_zyx: [f64; 3]) -> Array3<f32> {
        let sigma = sigma_voxels([self.sigma_mm.unwrap_or(0.0); 3], spacing_zyx);
        let (truncate, padding, dims) = (self.truncate, self.padding, self.dims);
        match self.kind {
            FilterKind::Gaussian => gaussian_3d(image, sigma, truncate, padding, dims),
            FilterKind::Log => gaussian_laplace_3d(image, sigma, truncate, padding, dims),
            FilterKind::Sobel => sobel_magnitude_3d(image, padding, dims),
        }
    }

    fn validate(&self, index: usize) -> Result<(), String> {
        let at = format!("series.filters[{index}] ({})", self.kind.name());
        match (self.kind, self.sigma_mm) {
            (FilterKind::Sobel, Some(_)) => {
                return Err(format!("{at}: sobel takes no sigma-mm"));
            }
            (FilterKind::Gaussian | FilterKind::Log, None) => {
                return Err(format!(
                    "{at}: give sigma-mm, the Gaussian's standard deviation in mm"
                ));
            }
            (_, Some(sigma)) if !(sigma.is_finite() && sigma > 0.0) => {
                return Err(format!(
                    "{at}: sigma-mm must be a positive number of mm, got {sigma}"
                ));
            }
            _ => {}
        }
        if !(self.truncate.is_finite() && self.truncate > 0.0 && self.truncate <= MAX_TRUNCATE) {
            return Err(format!(
                "{at}: truncate must lie in (0, {MAX_TRUNCATE}] standard deviations, got {}",
                self.truncate
            ));
        }
        Ok(())
    }
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
        let mut maps = Vec::new();
        for (index, filter) in self.filters.iter().enumerate() {
            filter.validate(index)?;
            let map = filter.map_name();
            if maps.contains(&map) {
                return Err(format!(
                    "series.filters[{index}] repeats the filter {map}: each map is listed once"
                ));
            }
            maps.push(map);
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
