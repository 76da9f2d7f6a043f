//! IBSI statistics of a map, optionally restricted to an ROI mask (DESIGN §3).

use ndarray::ArrayViewD;
use serde::{Deserialize, Serialize};

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
}

/// Names of [`first_order`], in order.
pub const FIRST_ORDER_NAMES: [&str; 18] = [
    "mean", "variance", "skewness", "kurtosis", "median", "minimum", "p10", "p90", "maximum", "iqr",
    "range", "mad", "rmad", "medad", "cov", "qcod", "energy", "rms",
];
/// Names of [`histogram`], in order.
pub const HISTOGRAM_NAMES: [&str; 2] = ["entropy", "uniformity"];
/// Names of [`glcm`], in order.
pub const GLCM_NAMES: [&str; 25] = [
    "glcm_joint_max", "glcm_joint_average", "glcm_joint_variance", "glcm_joint_entropy",
    "glcm_difference_average", "glcm_difference_variance", "glcm_difference_entropy",
    "glcm_sum_average", "glcm_sum_variance", "glcm_sum_entropy", "glcm_angular_second_moment",
    "glcm_contrast", "glcm_dissimilarity", "glcm_inverse_difference",
    "glcm_normalised_inverse_difference", "glcm_inverse_difference_moment",
    "glcm_normalised_inverse_difference_moment", "glcm_inverse_variance", "glcm_correlation",
    "glcm_autocorrelation", "glcm_cluster_tendency", "glcm_cluster_shade",
    "glcm_cluster_prominence", "glcm_information_correlation_1", "glcm_information_correlation_2",
];

/// The 18 IBSI intensity statistics.
pub fn first_order(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    todo!()
}

/// Histogram entropy and uniformity.
pub fn histogram(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
    _discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    todo!()
}

/// GLCM features.
pub fn glcm(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
    _discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    todo!()
}

/// Percentiles (numpy's linear method).
pub fn percentiles(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
    _q: &[f64],
) -> Result<Vec<f64>, StatsError> {
    todo!()
}

/// Every statistic of one map, in a fixed order: `(name, value)`.
pub fn compute(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
    _discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    todo!()
}
