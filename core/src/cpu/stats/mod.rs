//! IBSI statistics of a map, optionally within an ROI mask (docs/architecture.md, statistics).
//!
//! Three feature families, each a function over an `ndarray` view of f32 values and an
//! optional boolean mask of the same shape (`true` = inside the ROI):
//! - [`first_order`]: the 18 intensity-based statistics (mean ... rms);
//! - [`histogram`]: entropy (log2) and uniformity of the discretised intensities;
//! - [`glcm`]: the grey level co-occurrence matrix features, IBSI "2D, averaged".
//!
//! A volume ROI (series mode) has the fuller IBSI families: [`intensity_histogram`] (all
//! 23 features) and [`glcm_aggregated`] (any of the six [`Aggregation`]s).
//!
//! [`compute`] concatenates them in that order; [`percentiles`] serves percentile-clip
//! normalisation. Values are stored as f32 and every statistic is computed in f64.
//! Percentiles follow numpy's default `'linear'` method, histograms numpy's bin edges.
//!
//! Results do not depend on the number of threads: every reduction runs in a fixed order.
//!
//! ```
//! use medprep::cpu::stats::{compute, Discretisation};
//! use ndarray::ArrayD;
//!
//! let values = ArrayD::from_shape_vec(vec![2, 3], vec![1.0f32, 2.0, 2.0, 3.0, 4.0, 4.0])?;
//! let features = compute(values.view(), None, Discretisation::Bins(4))?;
//! assert_eq!(features[0], ("mean", 16.0 / 6.0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregation;
mod discretise;
mod first_order;
mod glcm;
mod histogram;
mod intensity_histogram;
mod order;
pub mod provenance;

use ndarray::ArrayViewD;
use serde::{Deserialize, Serialize};

pub use aggregation::Aggregation;
pub use first_order::{first_order, FIRST_ORDER_NAMES};
pub use glcm::{glcm, glcm_aggregated, AggregatedFeatures, GLCM_NAMES, MAX_GLCM_GREY_LEVELS};
pub use intensity_histogram::{intensity_histogram, INTENSITY_HISTOGRAM_NAMES};
// The GPU twin counts the co-occurrences; the rest is the CPU's.
#[cfg(feature = "gpu")]
pub(crate) use glcm::{glcm_counted, DIRECTIONS as GLCM_DIRECTIONS};
pub use histogram::{histogram, HISTOGRAM_NAMES, MAX_HISTOGRAM_BINS};
pub use order::percentiles;

/// The pipeline asks for both families of a map at once.
pub(crate) use first_order::with_histogram;

// The GPU twin derives the first-order statistics with the same code.
#[cfg(feature = "gpu")]
pub(crate) use first_order::FirstOrderParts;

// The GPU twin bins and scores histograms with the same code.
#[cfg(feature = "gpu")]
pub(crate) use discretise::fixed_bins;
#[cfg(feature = "gpu")]
pub(crate) use histogram::features_of_counts;
// The GPU twin selects the same order statistics and interpolates them with the same code.
#[cfg(feature = "gpu")]
pub(crate) use order::{from_key, interpolate, plan, Position};

/// How values are discretised into grey levels for histogram and GLCM features.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discretisation {
    /// IBSI fixed bin number over the ROI's own min..max.
    Bins(u32),
    /// IBSI fixed bin width, bins starting at the ROI minimum.
    BinWidth(f64),
    /// None: values are grey levels as they are (integers expected).
    None,
}

/// Why statistics could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// The mask selects no value.
    #[error("the ROI mask is empty")]
    EmptyRoi,
    /// The mask does not have the shape of the values.
    #[error("the ROI mask has shape {mask:?} but the values have shape {values:?}")]
    MaskShape {
        /// Shape of the values.
        values: Vec<usize>,
        /// Shape of the mask.
        mask: Vec<usize>,
    },
    /// A value inside the ROI is NaN or infinite.
    #[error("value {value} at flat index {index} is not finite")]
    NonFinite {
        /// Position in logical (row-major) order.
        index: usize,
        /// The offending value.
        value: f32,
    },
    /// A fixed bin number of zero.
    #[error("the number of bins must be at least 1")]
    ZeroBins,
    /// A fixed bin width that is not a positive finite number.
    #[error("the bin width must be positive and finite, not {0}")]
    BadBinWidth(f64),
    /// Without discretisation, grey levels must be integers.
    #[error("without discretisation values must be integers, found {0}")]
    NotInteger(f64),
    /// The discretisation yields more grey levels than the feature family handles.
    #[error("{levels} grey levels exceed the limit of {limit} for {family}; use fewer bins")]
    TooManyGreyLevels {
        /// Grey levels the discretisation yields.
        levels: u64,
        /// The limit of the feature family.
        limit: u32,
        /// The feature family (`histogram` or `GLCM`).
        family: &'static str,
    },
    /// GLCM features need slices: a 2-D map or a 3-D stack (slices × rows × cols).
    #[error("GLCM features need a 2-D or 3-D array, not {0}-D")]
    GlcmDimensions(usize),
    /// A percentile outside [0, 100].
    #[error("percentiles must lie in [0, 100], not {0}")]
    BadPercentile(f64),
}

/// Every statistic of one map, in a fixed order: `(name, value)`.
///
/// [`first_order`], then [`histogram`], then for 2-D and 3-D input [`glcm`]. The values
/// and mask are read once for the first two families.
pub fn compute(
    values: ArrayViewD<'_, f32>,
    mask: Option<ArrayViewD<'_, bool>>,
    discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    let (mut out, hist) = with_histogram(values.view(), mask.clone(), Some(discretisation))?;
    out.extend(hist.unwrap_or_default());
    if values.ndim() >= 2 {
        out.extend(glcm(values, mask, discretisation)?);
    }
    Ok(out)
}

/// The values inside the ROI in logical order, checked to be finite and not empty.
fn roi_values(
    values: &ArrayViewD<'_, f32>,
    mask: Option<&ArrayViewD<'_, bool>>,
) -> Result<Vec<f32>, StatsError> {
    let mut out = Vec::new();
    match mask {
        None => {
            out.reserve_exact(values.len());
            match values.as_slice() {
                Some(slice) => out.extend_from_slice(slice),
                None => out.extend(values.iter().copied()),
            }
        }
        Some(mask) => {
            check_mask_shape(values, mask)?;
            match (values.as_slice(), mask.as_slice()) {
                (Some(v), Some(m)) => {
                    out.reserve(m.iter().filter(|&&inside| inside).count());
                    out.extend(
                        v.iter()
                            .zip(m)
                            .filter(|(_, &inside)| inside)
                            .map(|(&x, _)| x),
                    );
                }
                _ => out.extend(
                    values
                        .iter()
                        .zip(mask.iter())
                        .filter(|(_, &inside)| inside)
                        .map(|(&x, _)| x),
                ),
            }
        }
    }
    if out.is_empty() {
        return Err(StatsError::EmptyRoi);
    }
    if let Some(pos) = out.iter().position(|x| !x.is_finite()) {
        return Err(non_finite(values, mask, out[pos]));
    }
    Ok(out)
}

fn check_mask_shape(
    values: &ArrayViewD<'_, f32>,
    mask: &ArrayViewD<'_, bool>,
) -> Result<(), StatsError> {
    if values.shape() == mask.shape() {
        Ok(())
    } else {
        Err(StatsError::MaskShape {
            values: values.shape().to_vec(),
            mask: mask.shape().to_vec(),
        })
    }
}

/// The error for the first non-finite value inside the ROI, with its flat index.
fn non_finite(
    values: &ArrayViewD<'_, f32>,
    mask: Option<&ArrayViewD<'_, bool>>,
    value: f32,
) -> StatsError {
    let index = match mask {
        None => values.iter().position(|x| !x.is_finite()),
        Some(mask) => values
            .iter()
            .zip(mask.iter())
            .position(|(x, &inside)| inside && !x.is_finite()),
    };
    StatsError::NonFinite {
        index: index.unwrap_or(0),
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    #[test]
    fn mask_must_match_the_values() {
        let values = ArrayD::<f32>::zeros(vec![2, 3]);
        let mask = ArrayD::from_elem(vec![3, 2], true);
        let err = first_order(values.view(), Some(mask.view())).expect_err("an error");
        assert_eq!(
            err,
            StatsError::MaskShape {
                values: vec![2, 3],
                mask: vec![3, 2]
            }
        );
    }

    #[test]
    fn empty_roi_and_non_finite_values_are_errors() {
        let values = ArrayD::from_shape_vec(vec![2, 2], vec![1.0f32, f32::NAN, 3.0, 4.0])
            .expect("valid test input");
        let none = ArrayD::from_elem(vec![2, 2], false);
        assert_eq!(
            first_order(values.view(), Some(none.view())),
            Err(StatsError::EmptyRoi)
        );
        assert_eq!(
            histogram(values.view(), None, Discretisation::Bins(8))
                .expect_err("an error")
                .to_string(),
            "value NaN at flat index 1 is not finite"
        );
        let skip_nan = ArrayD::from_shape_vec(vec![2, 2], vec![true, false, true, true])
            .expect("valid test input");
        assert!(first_order(values.view(), Some(skip_nan.view())).is_ok());
    }

    #[test]
    fn compute_concatenates_the_families_in_order() {
        let values = ArrayD::from_shape_fn(vec![6, 7], |ix| ((ix[0] * 7 + ix[1]) % 5) as f32);
        let all = compute(values.view(), None, Discretisation::Bins(5)).expect("valid test input");
        let names: Vec<_> = all.iter().map(|(name, _)| *name).collect();
        let expected: Vec<_> = FIRST_ORDER_NAMES
            .iter()
            .chain(HISTOGRAM_NAMES)
            .chain(GLCM_NAMES)
            .copied()
            .collect();
        assert_eq!(names, expected);
        let line = values
            .clone()
            .into_shape_with_order(vec![42])
            .expect("valid test input");
        let one_d = compute(line.view(), None, Discretisation::Bins(5)).expect("valid test input");
        assert_eq!(one_d.len(), FIRST_ORDER_NAMES.len() + HISTOGRAM_NAMES.len());
        assert_eq!(one_d[..], all[..one_d.len()]);
    }
}
