//! Recipes: one serde value describing a whole pipeline (docs/architecture.md, data flow).
//!
//! A recipe is read from TOML or JSON, or taken from the named presets in
//! [`presets`]. Unknown keys are errors that name the key's path, so a typo never
//! silently falls back to a default.
//!
//! ```
//! let recipe = medprep::Recipe::from_toml_str(r#"
//!     name = "lung-texture"
//!     normalize = { mode = "window", window = "ct-lung" }
//!     resample = { spacing = [1.0, 1.0], interpolator = "cubic" }
//!     maps = [{ kind = "original" }, { kind = "log", sigma = 2.0 }]
//!     features = { families = ["first-order", "glcm"], discretisation = { bins = 32 } }
//! "#)?;
//! assert_eq!(recipe.maps.len(), 2);
//! # Ok::<(), medprep::RecipeError>(())
//! ```

mod maps;
mod normalize;
pub mod presets;
mod series;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cpu::resample::{Fit, Interpolator};
use crate::cpu::stats::Discretisation;

pub use maps::MapSpec;
pub use normalize::{Normalize, WindowSpec};
pub use series::{
    FilterKind, Resegment, SeriesFilter, SeriesSettings, Texture, VolumeFamily, VolumeResample,
};

/// A complete pipeline description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Short name, recorded with every output.
    pub name: String,
    /// What the recipe is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Intensity normalisation after the modality LUT.
    #[serde(default)]
    pub normalize: Normalize,
    /// Resampling to a common spacing or size; none keeps the input grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resample: Option<Resample>,
    /// Feature maps computed from the normalised, resampled image, in output order.
    #[serde(default = "maps::original_only")]
    pub maps: Vec<MapSpec>,
    /// Statistics computed on every map.
    #[serde(default)]
    pub features: Features,
    /// Preprocessed images written beside the tables.
    #[serde(default)]
    pub output: Output,
    /// Series mode: whole scans and their ROIs instead of slices; absent, slice mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesSettings>,
}

/// Where the resampled grid lies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resample {
    /// Output pixel spacing in mm as `[row, column]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spacing: Option<[f64; 2]>,
    /// Output size in pixels as `[rows, columns]` (instead of `spacing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<[usize; 2]>,
    /// With `size`: keep the aspect ratio by padding or cropping; absent stretches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_aspect: Option<Fit>,
    /// Value of padded pixels (after normalisation) with `keep_aspect = "pad"`.
    #[serde(default)]
    pub fill: f32,
    /// Interpolation kernel.
    #[serde(default = "default_interpolator")]
    pub interpolator: Interpolator,
    /// Gaussian pre-filter when shrinking, so fine detail does not alias.
    #[serde(default)]
    pub antialias: bool,
}

fn default_interpolator() -> Interpolator {
    Interpolator::Linear
}

/// Families of statistics computed per map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The 18 IBSI intensity statistics (mean ... rms).
    FirstOrder,
    /// Histogram entropy and uniformity over the discretisation.
    Histogram,
    /// 2-D GLCM features over the discretisation.
    Glcm,
}

/// Which statistics, over which discretisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Statistic families, in column order.
    #[serde(default = "default_families")]
    pub families: Vec<Family>,
    /// Grey-level discretisation for histogram and GLCM features.
    #[serde(default = "default_discretisation")]
    pub discretisation: Discretisation,
}

fn default_families() -> Vec<Family> {
    vec![Family::FirstOrder, Family::Histogram]
}

fn default_discretisation() -> Discretisation {
    Discretisation::Bins(64)
}

impl Default for Features {
    fn default() -> Self {
        Self {
            families: default_families(),
            discretisation: default_discretisation(),
        }
    }
}

/// What preprocessed image, if any, is written per frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// File format of preprocessed images; `none` writes only tables.
    #[serde(default)]
    pub images: ImageFormat,
    /// Sample type of preprocessed images.
    #[serde(default)]
    pub dtype: OutputDtype,
}

impl Default for Output {
    fn default() -> Self {
        Self {
            images: ImageFormat::None,
            dtype: OutputDtype::F32,
        }
    }
}

/// File format of preprocessed images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    /// No images.
    #[default]
    None,
    /// numpy `.npy`, any dtype.
    Npy,
    /// PNG, 8-bit (`u8`) or 16-bit (`u16`) grey.
    Png,
}

/// Sample type of preprocessed images. Integer types scale 0..1 to their full range
/// (values outside 0..1 saturate), rounding to nearest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputDtype {
    /// 32-bit float, values as computed.
    #[default]
    F32,
    /// 8-bit unsigned.
    U8,
    /// 16-bit unsigned.
    U16,
}

/// Why a recipe could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// The recipe file could not be read.
    #[error("cannot read recipe {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not valid TOML or JSON.
    #[error("recipe syntax: {0}")]
    Syntax(String),
    /// A key is unknown or has a value of the wrong type.
    #[error("recipe key `{path}`: {message}")]
    Key {
        /// Dotted path of the key, e.g. `resample.interpolator`.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// The values are well-formed but do not make a pipeline.
    #[error("recipe: {0}")]
    Invalid(String),
    /// No preset has this name.
    #[error("no preset recipe named {name:?} (presets: {})", presets::NAMES.join(", "))]
    UnknownPreset {
        /// The name asked for.
        name: String,
    },
}

impl Recipe {
    /// Parses TOML and checks the result.
    pub fn from_toml_str(text: &str) -> Result<Self, RecipeError> {
        let deserializer =
            toml::de::Deserializer::parse(text).map_err(|e| RecipeError::Syntax(e.to_string()))?;
        Self::checked(serde_path_to_error::deserialize(deserializer))
    }

    /// Parses JSON and checks the result.
    pub fn from_json_str(text: &str) -> Result<Self, RecipeError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let recipe = Self::checked(serde_path_to_error::deserialize(&mut deserializer))?;
        deserializer
            .end()
            .map_err(|e| RecipeError::Syntax(e.to_string()))?;
        Ok(recipe)
    }

    /// Reads a `.json` file as JSON and anything else as TOML.
    pub fn from_path(path: &Path) -> Result<Self, RecipeError> {
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Self::from_json_str(&text),
            _ => Self::from_toml_str(&text),
        }
    }

    /// A named preset (see [`presets::NAMES`]).
    pub fn preset(name: &str) -> Result<Self, RecipeError> {
        Self::from_toml_str(presets::toml(name)?)
    }

    /// A preset name, else a recipe file.
    pub fn preset_or_path(name_or_path: &str) -> Result<Self, RecipeError> {
        if presets::NAMES.contains(&name_or_path) {
            return Self::preset(name_or_path);
        }
        let path = Path::new(name_or_path);
        if path.exists() {
            Self::from_path(path)
        } else {
            Err(RecipeError::UnknownPreset {
                name: name_or_path.to_owned(),
            })
        }
    }

    /// The recipe as TOML.
    pub fn to_toml(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    fn checked<E: std::fmt::Display>(
        result: Result<Self, serde_path_to_error::Error<E>>,
    ) -> Result<Self, RecipeError> {
        let recipe = result.map_err(|e| RecipeError::Key {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
        recipe.validate()?;
        Ok(recipe)
    }

    /// Checks what types alone cannot: one of spacing or size, positive parameters,
    /// an image format that can hold the dtype.
    fn validate(&self) -> Result<(), RecipeError> {
        let invalid = |m: String| Err(RecipeError::Invalid(m));
        if let Some(r) = &self.resample {
            match (r.spacing, r.size) {
                (Some(_), Some(_)) | (None, None) => {
                    return invalid("resample needs exactly one of `spacing` or `size`".into())
                }
                (Some(s), None) if !s.iter().all(|v| v.is_finite() && *v > 0.0) => {
                    return invalid(format!("resample.spacing must be positive, got {s:?}"))
                }
                (None, Some(s)) if s.contains(&0) => {
                    return invalid(format!("resample.size must be positive, got {s:?}"))
                }
                (Some(_), None) if r.keep_aspect.is_some() => {
                    return invalid("resample.keep_aspect applies only with `size`".into())
                }
                _ => {}
            }
        }
        if let Some(series) = &self.series {
            series.validate().map_err(RecipeError::Invalid)?;
            let slice_keys_default = self.resample.is_none()
                && self.normalize == Normalize::default()
                && self.maps == maps::original_only()
                && self.features == Features::default()
                && self.output == Output::default();
            if !slice_keys_default {
                return invalid(
                    "a series-mode recipe takes its settings from [series]; `normalize`, \
                     `resample`, `maps`, `features` and `output` belong to slice mode"
                        .into(),
                );
            }
        }
        self.normalize.validate().map_err(RecipeError::Invalid)?;
        if self.maps.is_empty() {
            return invalid("`maps` is empty: at least one map (e.g. original) is needed".into());
        }
        for map in &self.maps {
            map.validate().map_err(RecipeError::Invalid)?;
        }
        match self.features.discretisation {
            Discretisation::Bins(0) => {
                return invalid("discretisation bins must be at least 1".into())
            }
            Discretisation::BinWidth(w) if !(w.is_finite() && w > 0.0) => {
                return invalid(format!(
                    "discretisation bin-width must be positive, got {w}"
                ))
            }
            _ => {}
        }
        if self.output.images == ImageFormat::Png && self.output.dtype == OutputDtype::F32 {
            return invalid("PNG images need `output.dtype` u8 or u16".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
