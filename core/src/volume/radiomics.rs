//! IBSI features of a scan ROI: series mode's counterpart of the slice pipeline.
//!
//! [`roi_features`] follows the IBSI-1 processing chain on a [`Volume`] and its [`Mask`]
//! (the *morphological* mask):
//!
//! 1. resampling of image and mask onto the centre-aligned grid ([`super::resample`]);
//! 2. intensity rounding to whole numbers, when asked;
//! 3. re-segmentation: the *intensity* mask keeps the ROI voxels inside the range, then
//!    those within `k` standard deviations of the mean of what remains;
//! 4. the feature families over the intensity mask: first-order statistics, the
//!    intensity histogram and GLCM texture under each aggregation. A fixed bin width
//!    counts from the range's lower bound (IBSI), else from the ROI minimum.
//!
//! 5. each filter of the settings (IBSI-2): its response map of the processed image of
//!    step 2, the whole grid filtered (not just the ROI), and the first-order statistics
//!    of the response over the intensity mask of step 3. Re-segmentation thus uses the
//!    image's intensities, never the response's, as IBSI-2 does. Histogram and texture
//!    families are not computed on response maps: their discretisation (a bin width in
//!    the image's units counted from the re-segmentation bound) has no meaning there.
//!
//! First-order and histogram features pool every ROI voxel of the volume whatever the
//! texture setting (IBSI does so in its 2D configurations too). [`feature_columns`] names
//! the output columns, with their IBSI provenance, from the settings alone: the original
//! image's families, then 18 `<map>_stat_*` columns per filter, `map` being
//! [`crate::recipe::SeriesFilter::map_name`].

use super::resample::{aligned_grid, resample_mask, resample_volume, ResampleError};
use super::{Grid, Mask, Volume};
use crate::cpu::stats::provenance::{
    FeatureColumn, IbsiFamily, FIRST_ORDER, GLCM, INTENSITY_HISTOGRAM,
};
use crate::cpu::stats::{
    first_order, glcm_aggregated, intensity_histogram, Aggregation, StatsError,
};
use crate::recipe::{SeriesSettings, VolumeFamily};

/// The map series mode measures: the scan itself.
pub const ORIGINAL_MAP: &str = "original";

/// The features of one ROI, and what the processing did to it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiFeatures {
    /// Values in [`feature_columns`] order (NaN where undefined).
    pub values: Vec<f64>,
    /// The grid the features were computed on (after resampling).
    pub grid: Grid,
    /// Voxels of the morphological mask on that grid.
    pub morphological_voxels: usize,
    /// Voxels left in the intensity mask after re-segmentation.
    pub intensity_voxels: usize,
}

/// Why an ROI could not be measured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RadiomicsError {
    /// The mask lies on another grid than the image.
    #[error(
        "the mask's grid ({mask}) is not the image's ({image}); rasterise the mask on this \
         scan's grid"
    )]
    GridMismatch {
        /// The image grid, described.
        image: String,
        /// The mask grid, described.
        mask: String,
    },
    /// Resampling failed.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// No voxel of the ROI is left after resampling.
    #[error("ROI {roi:?} holds no voxel after resampling to {spacing:?} mm")]
    EmptyAfterResampling {
        /// The ROI's name.
        roi: String,
        /// The resampled spacing.
        spacing: [f64; 3],
    },
    /// Re-segmentation removed every voxel.
    #[error("ROI {roi:?}: no voxel of its {voxels} lies within the re-segmentation criteria")]
    EmptyAfterResegmentation {
        /// The ROI's name.
        roi: String,
        /// Voxels before re-segmentation.
        voxels: usize,
    },
    /// A family could not be computed.
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// The columns `settings` produce, in output order.
pub fn feature_columns(settings: &SeriesSettings) -> Vec<FeatureColumn> {
    let mut columns = Vec::new();
    for family in &settings.families {
        let (ibsi, aggregations): (&'static IbsiFamily, &[Option<Aggregation>]) = match family {
            VolumeFamily::FirstOrder => (&FIRST_ORDER, &[None]),
            VolumeFamily::IntensityHistogram => (&INTENSITY_HISTOGRAM, &[None]),
            VolumeFamily::Glcm => (&GLCM, &[]),
        };
        let texture: Vec<Option<Aggregation>> = if *family == VolumeFamily::Glcm {
            settings
                .texture
                .aggregations()
                .iter()
                .copied()
                .map(Some)
                .collect()
        } else {
            aggregations.to_vec()
        };
        // Texture columns group by aggregation, as IBSI's tables list them.
        for aggregation in texture {
            for feature in ibsi.features {
                let mut name = format!("{ORIGINAL_MAP}_{}", feature.column_stem());
                if let Some(aggregation) = aggregation {
                    name.push('_');
                    name.push_str(aggregation.suffix());
                }
                columns.push(FeatureColumn {
                    name,
                    map: ORIGINAL_MAP.to_owned(),
                    family: ibsi,
                    feature,
                    aggregation,
                });
            }
        }
    }
    for filter in &settings.filters {
        let map = filter.map_name();
        for feature in FIRST_ORDER.features {
            columns.push(FeatureColumn {
                name: format!("{map}_{}", feature.column_stem()),
                map: map.clone(),
                family: &FIRST_ORDER,
                feature,
                aggregation: None,
            });
        }
    }
    columns
}

/// The features of ROI `mask` of `volume` under `settings`, at most `max_voxels` voxels
/// after resampling: [`processed_image`], [`processed_mask`], then [`measure`]. Several
/// ROIs of one scan share the first step: call the three in turn.
pub fn roi_features(
    volume: &Volume,
    mask: &Mask,
    settings: &SeriesSettings,
    max_voxels: usize,
) -> Result<RoiFeatures, RadiomicsError> {
    check_grid(volume, mask)?;
    let image = processed_image(volume, settings, max_voxels)?;
    let morphological = processed_mask(volume, mask, &image.grid)?;
    measure(&image, &morphological, settings)
}

/// Steps 1 and 2 on the image: `volume` resampled onto the settings' centre-aligned grid
/// (at most `max_voxels` voxels), its intensities rounded when asked. Without resampling
/// the grid is the scan's own.
pub fn processed_image(
    volume: &Volume,
    settings: &SeriesSettings,
    max_voxels: usize,
) -> Result<Volume, RadiomicsError> {
    let mut image = match &settings.resample {
        None => volume.clone(),
        Some(resample) => {
            let spacing = resample.spacing_xyz(volume.grid.spacing[2]);
            let grid = aligned_grid(&volume.grid, spacing, max_voxels)?;
            resample_volume(volume, &grid)
        }
    };
    if settings.round_intensities {
        for x in &mut image.voxels {
            // IBSI rounds half away from zero, as `f32::round`.
            *x = x.round();
        }
    }
    Ok(image)
}

/// Step 1 on the morphological mask: `mask` (on the grid of `volume`) interpolated onto
/// `grid`, the processed image's, and thresholded at 0.5; an ROI that this leaves empty
/// is an error.
pub fn processed_mask(volume: &Volume, mask: &Mask, grid: &Grid) -> Result<Mask, RadiomicsError> {
    check_grid(volume, mask)?;
    if grid == &volume.grid {
        return Ok(mask.clone());
    }
    let morphological = resample_mask(mask, grid);
    if morphological.count() == 0 {
        return Err(RadiomicsError::EmptyAfterResampling {
            roi: mask.roi.clone(),
            spacing: grid.spacing,
        });
    }
    Ok(morphological)
}

/// The mask must lie on the image's grid.
fn check_grid(volume: &Volume, mask: &Mask) -> Result<(), RadiomicsError> {
    if mask.grid.matches(&volume.grid, 1e-3) {
        Ok(())
    } else {
        Err(RadiomicsError::GridMismatch {
            image: describe(&volume.grid),
            mask: describe(&mask.grid),
        })
    }
}

/// Steps 3 to 5 on a processed image and its morphological mask (on the same grid).
pub fn measure(
    image: &Volume,
    morphological: &Mask,
    settings: &SeriesSettings,
) -> Result<RoiFeatures, RadiomicsError> {
    let intensity = resegment(image, morphological, settings)?;
    let lower_bound = settings
        .resegment
        .range
        .map(|[low, _]| low)
        .filter(|low| low.is_finite())
        .map(|low| low as f32);

    let (values, inside) = (image.view(), intensity.view());
    let mut out = Vec::new();
    for family in &settings.families {
        match family {
            VolumeFamily::FirstOrder => {
                let stats = first_order(values.into_dyn(), Some(inside.into_dyn()))?;
                out.extend(stats.into_iter().map(|(_, v)| v));
            }
            VolumeFamily::IntensityHistogram => {
                let stats = intensity_histogram(
                    values.into_dyn(),
                    Some(inside.into_dyn()),
                    settings.discretisation,
                    lower_bound,
                )?;
                out.extend(stats.into_iter().map(|(_, v)| v));
            }
            VolumeFamily::Glcm => {
                let aggregated = glcm_aggregated(
                    values,
                    inside,
                    settings.discretisation,
                    lower_bound,
                    settings.texture.aggregations(),
                )?;
                for (_, features) in aggregated {
                    out.extend(features.into_iter().map(|(_, v)| v));
                }
            }
        }
    }
    let [sx, sy, sz] = image.grid.spacing;
    for filter in &settings.filters {
        let response = filter.response(values, [sz, sy, sx]);
        let stats = first_order(response.view().into_dyn(), Some(inside.into_dyn()))?;
        out.extend(stats.into_iter().map(|(_, v)| v));
    }
    Ok(RoiFeatures {
        values: out,
        grid: image.grid.clone(),
        morphological_voxels: morphological.count(),
        intensity_voxels: intensity.count(),
    })
}

/// The intensity mask: the ROI voxels within the range, then within the outlier bound.
fn resegment(
    image: &Volume,
    morphological: &Mask,
    settings: &SeriesSettings,
) -> Result<Mask, RadiomicsError> {
    let mut intensity = morphological.clone();
    if let Some([low, high]) = settings.resegment.range {
        for (inside, &x) in intensity.voxels.iter_mut().zip(&image.voxels) {
            *inside &= f64::from(x) >= low && f64::from(x) <= high;
        }
    }
    if let Some(sigmas) = settings.resegment.outliers {
        let (mut n, mut sum, mut squares) = (0usize, 0.0f64, 0.0f64);
        for (&inside, &x) in intensity.voxels.iter().zip(&image.voxels) {
            if inside {
                n += 1;
                sum += f64::from(x);
                squares += f64::from(x) * f64::from(x);
            }
        }
        if n > 0 {
            let mean = sum / n as f64;
            let sd = (squares / n as f64 - mean * mean).max(0.0).sqrt();
            for (inside, &x) in intensity.voxels.iter_mut().zip(&image.voxels) {
                *inside &= (f64::from(x) - mean).abs() <= sigmas * sd;
            }
        }
    }
    if intensity.count() == 0 {
        return Err(RadiomicsError::EmptyAfterResegmentation {
            roi: morphological.roi.clone(),
            voxels: morphological.count(),
        });
    }
    Ok(intensity)
}

fn describe(grid: &Grid) -> String {
    format!(
        "{} x {} x {} voxels of {:.4} x {:.4} x {:.4} mm at ({:.3}, {:.3}, {:.3})",
        grid.size[0],
        grid.size[1],
        grid.size[2],
        grid.spacing[0],
        grid.spacing[1],
        grid.spacing[2],
        grid.origin[0],
        grid.origin[1],
        grid.origin[2]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::stats::Discretisation;
    use crate::recipe::{Recipe, Resegment, SeriesFilter, Texture};

    fn settings(texture: Texture) -> SeriesSettings {
        SeriesSettings {
            roi: None,
            resample: None,
            round_intensities: false,
            resegment: Resegment::default(),
            families: vec![
                VolumeFamily::FirstOrder,
                VolumeFamily::IntensityHistogram,
                VolumeFamily::Glcm,
            ],
            discretisation: Discretisation::Bins(8),
            texture,
            montage: false,
            volumes: false,
            filters: Vec::new(),
        }
    }

    fn cube() -> (Volume, Mask) {
        let grid = Grid {
            size: [6, 5, 4],
            spacing: [1.0, 1.0, 2.0],
            origin: [0.0; 3],
            direction: Grid::IDENTITY,
        };
        let voxels = (0..grid.len())
            .map(|i| ((i * 7) % 11) as f32 * 10.0 - 30.0)
            .collect();
        let mask = Mask {
            grid: grid.clone(),
            voxels: (0..grid.len()).map(|i| i % 5 != 0).collect(),
            roi: "cube".into(),
        };
        (Volume { grid, voxels }, mask)
    }

    #[test]
    fn columns_name_and_trace_every_value() {
        let (volume, mask) = cube();
        for texture in [Texture::Planar, Texture::Volumetric] {
            let settings = settings(texture);
            let columns = feature_columns(&settings);
            let features = roi_features(&volume, &mask, &settings, usize::MAX).expect("features");
            let texture_columns = 25 * texture.aggregations().len();
            assert_eq!(columns.len(), 18 + 23 + texture_columns);
            assert_eq!(features.values.len(), columns.len());
            assert_eq!(columns[0].name, "original_stat_mean");
            assert_eq!(columns[18].name, "original_ih_mean");
            let last = columns.last().expect("columns");
            assert_eq!(last.feature.symbol, "cm.info.corr.2");
            assert!(last
                .name
                .ends_with(texture.aggregations()[texture.aggregations().len() - 1].suffix()));
        }
    }

    #[test]
    fn resegmentation_narrows_the_intensity_mask_only() {
        let (volume, mask) = cube();
        let mut s = settings(Texture::Volumetric);
        s.resegment.range = Some([-10.0, 40.0]);
        let features = roi_features(&volume, &mask, &s, usize::MAX).expect("features");
        assert_eq!(features.morphological_voxels, mask.count());
        assert!(features.intensity_voxels < mask.count());
        let min = features.values[5];
        let max = features.values[8];
        assert!(min >= -10.0 && max <= 40.0, "{min} {max}");
        s.resegment.range = Some([1000.0, 2000.0]);
        assert!(matches!(
            roi_features(&volume, &mask, &s, usize::MAX),
            Err(RadiomicsError::EmptyAfterResegmentation { .. })
        ));
    }

    #[test]
    fn a_mask_on_another_grid_is_an_error() {
        let (volume, mut mask) = cube();
        mask.grid.origin[0] += 1.0;
        let err = roi_features(&volume, &mask, &settings(Texture::Planar), usize::MAX)
            .expect_err("an error");
        assert!(err.to_string().contains("not the image's"), "{err}");
    }

    fn filter(toml_line: &str) -> Result<SeriesFilter, String> {
        toml::from_str::<SeriesFilter>(toml_line).map_err(|e| e.to_string())
    }

    #[test]
    fn filters_append_first_order_columns_of_their_maps() {
        let (volume, mask) = cube();
        let plain = settings(Texture::Volumetric);
        let mut filtered = plain.clone();
        filtered.filters = vec![
            filter("kind = 'log'\nsigma-mm = 1.5").expect("valid"),
            filter("kind = 'gaussian'\nsigma-mm = 2.0\ndims = 2\npadding = 'nearest'")
                .expect("valid"),
            filter("kind = 'sobel'\npadding = 'constant'").expect("valid"),
        ];
        assert_eq!(filtered.validate(), Ok(()));
        let (before, after) = (feature_columns(&plain), feature_columns(&filtered));
        assert_eq!(after.len(), before.len() + 3 * 18);
        assert_eq!(after[..before.len()], before[..]);
        let added: Vec<_> = after[before.len()..].iter().step_by(18).collect();
        let maps = [
            "log_sigma_1p5mm",
            "gaussian_sigma_2mm_2d_nearest",
            "sobel_constant",
        ];
        for (column, map) in added.iter().zip(maps) {
            assert_eq!(column.map, map);
            assert_eq!(column.name, format!("{map}_stat_mean"));
            assert_eq!(column.feature.code, "Q4LE");
            assert!(column
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
        let a = roi_features(&volume, &mask, &plain, usize::MAX).expect("valid");
        let b = roi_features(&volume, &mask, &filtered, usize::MAX).expect("valid");
        assert_eq!(b.values.len(), after.len());
        assert_eq!(b.values[..before.len()], a.values[..]);
        // Gaussian smoothing keeps the values within the image's range; the LoG of a
        // non-constant image is not identically zero.
        let gaussian_mean = b.values[before.len() + 18];
        assert!((-30.0..=70.0).contains(&gaussian_mean), "{gaussian_mean}");
        assert!(b.values[before.len() + 1] > 0.0, "LoG variance");
    }

    #[test]
    fn filter_settings_are_checked() {
        let mut s = settings(Texture::Volumetric);
        let cases = [
            ("kind = 'log'", "give sigma-mm"),
            (
                "kind = 'log'\nsigma-mm = -1.0",
                "sigma-mm must be a positive",
            ),
            (
                "kind = 'gaussian'\nsigma-mm = nan",
                "sigma-mm must be a positive",
            ),
            ("kind = 'sobel'\nsigma-mm = 1.0", "sobel takes no sigma-mm"),
            (
                "kind = 'log'\nsigma-mm = 1.0\ntruncate = 0.0",
                "truncate must lie in",
            ),
        ];
        for (line, message) in cases {
            s.filters = vec![filter(line).expect("valid")];
            let err = s.validate().expect_err(line);
            assert!(
                err.contains("series.filters[0]") && err.contains(message),
                "{err}"
            );
        }
        s.filters = vec![
            filter("kind = 'sobel'").expect("valid"),
            filter("kind = 'sobel'").expect("valid"),
        ];
        assert!(s
            .validate()
            .expect_err("a repeat")
            .contains("repeats the filter sobel"));
        for (line, message) in [
            ("kind = 'laws'", "unknown variant"),
            ("kind = 'sobel'\npadding = 'mirror'", "unknown variant"),
            ("kind = 'sobel'\ndims = 1", "dims must be 2 or 3"),
            ("kind = 'sobel'\nsigma = 1.0", "unknown field"),
        ] {
            let err = filter(line).expect_err(line);
            assert!(err.contains(message), "{err}");
        }
    }

    #[test]
    fn the_ibsi_presets_are_series_recipes() {
        for name in ["ibsi-ct-a", "ibsi-ct-b", "ibsi-ct-c"] {
            let recipe = Recipe::preset(name).expect("a preset");
            assert!(recipe.series.is_some(), "{name}");
        }
    }
}
