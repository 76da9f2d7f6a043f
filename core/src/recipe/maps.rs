//! The feature-map part of a recipe.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::column_name::is_column_name;

/// One entry of `maps`: a filter applied to the normalised, resampled image. Entries
/// that are banks (Gabor, kernel files) expand to one map per kernel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MapSpec {
    /// The image itself, named `original`.
    Original,
    /// Gaussian smoothing, named `gaussian_s<sigma>`.
    Gaussian {
        /// Standard deviation in output pixels.
        sigma: f64,
    },
    /// Laplacian of Gaussian (`scipy.ndimage.gaussian_laplace`), named `log_s<sigma>`;
    /// `normalised` multiplies by sigma² (scale-normalised LoG).
    Log {
        /// Standard deviation in output pixels.
        sigma: f64,
        /// Multiply by sigma².
        #[serde(default)]
        normalised: bool,
    },
    /// Sobel gradient magnitude, named `sobel`.
    Sobel,
    /// A Gabor bank: `orientations` angles evenly over 0..180° times `wavelengths`
    /// (pixels), named `gabor_l<wavelength>_t<degrees>`.
    Gabor {
        /// Number of orientations.
        orientations: u32,
        /// Wavelengths in pixels.
        wavelengths: Vec<f64>,
        /// Gaussian envelope sigma as a multiple of the wavelength.
        #[serde(default = "default_sigma_per_wavelength")]
        sigma_per_wavelength: f64,
    },
    /// User kernels from an `.npy` file of shape (k, h, w) or (h, w), applied as
    /// correlations, named `<name>_<index>`.
    Kernels {
        /// The `.npy` file, relative to the working directory.
        path: PathBuf,
        /// Map name prefix.
        #[serde(default = "default_kernel_name")]
        name: String,
    },
}

fn default_sigma_per_wavelength() -> f64 {
    0.56
}

fn default_kernel_name() -> String {
    "kernel".into()
}

pub(super) fn original_only() -> Vec<MapSpec> {
    vec![MapSpec::Original]
}

impl MapSpec {
    pub(super) fn validate(&self) -> Result<(), String> {
        let positive = |what: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be positive, got {v}"))
            }
        };
        match self {
            Self::Gaussian { sigma } | Self::Log { sigma, .. } => positive("sigma", *sigma),
            Self::Gabor {
                orientations,
                wavelengths,
                sigma_per_wavelength,
            } => {
                if *orientations == 0 || wavelengths.is_empty() {
                    return Err("gabor needs at least one orientation and one wavelength".into());
                }
                if *orientations > 180 || wavelengths.len() > 64 {
                    return Err(
                        "gabor banks are limited to 180 orientations and 64 wavelengths".into(),
                    );
                }
                wavelengths
                    .iter()
                    .try_for_each(|w| positive("gabor wavelength", *w))?;
                positive("gabor sigma_per_wavelength", *sigma_per_wavelength)
            }
            Self::Kernels { name, .. } if !is_column_name(name) => Err(format!(
                "kernel map name {name:?} must be letters, digits and underscores"
            )),
            _ => Ok(()),
        }
    }
}
