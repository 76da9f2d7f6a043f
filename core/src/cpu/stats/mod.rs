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

/// Every statistic of one map, in a fixed order: `(name, value)`.
pub fn compute(
    _values: ArrayViewD<'_, f32>,
    _mask: Option<ArrayViewD<'_, bool>>,
    _discretisation: Discretisation,
) -> Result<Vec<(&'static str, f64)>, StatsError> {
    todo!()
}
