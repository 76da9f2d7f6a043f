//! How texture matrices of a volume are combined into one feature value (IBSI
//! "Feature aggregation").
//!
//! A texture family counts one matrix per slice and direction (2D), or per direction over
//! the whole volume (3D). IBSI names six ways to turn those matrices into one value:
//! average the features of every matrix, or first merge (sum) matrices and then compute
//! the features, per slice, per direction, or all at once.

use serde::{Deserialize, Serialize};

/// One IBSI texture aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Aggregation {
    /// Features of each in-plane matrix (slice × direction), averaged.
    #[serde(rename = "2d-averaged")]
    TwoDAveraged,
    /// Per slice, the directions' matrices merged; features averaged over slices.
    #[serde(rename = "2d-slice-merged")]
    TwoDSliceMerged,
    /// Per in-plane direction, the slices' matrices merged; features averaged over
    /// directions.
    #[serde(rename = "2.5d-direction-merged")]
    TwoHalfDDirectionMerged,
    /// Every in-plane matrix merged into one.
    #[serde(rename = "2.5d-merged")]
    TwoHalfDMerged,
    /// Features of each 3D direction's matrix, averaged over the 13 directions.
    #[serde(rename = "3d-averaged")]
    ThreeDAveraged,
    /// The 13 directions' matrices merged into one.
    #[serde(rename = "3d-merged")]
    ThreeDMerged,
}

impl Aggregation {
    /// The four aggregations of in-plane (2D and 2.5D) texture.
    pub const PLANAR: [Self; 4] = [
        Self::TwoDAveraged,
        Self::TwoDSliceMerged,
        Self::TwoHalfDDirectionMerged,
        Self::TwoHalfDMerged,
    ];

    /// The two aggregations of 3D texture.
    pub const VOLUMETRIC: [Self; 2] = [Self::ThreeDAveraged, Self::ThreeDMerged];

    /// IBSI's wording, as in its reference tables: `2D, averaged`.
    pub fn ibsi_name(self) -> &'static str {
        match self {
            Self::TwoDAveraged => "2D, averaged",
            Self::TwoDSliceMerged => "2D, slice-merged",
            Self::TwoHalfDDirectionMerged => "2.5D, direction-merged",
            Self::TwoHalfDMerged => "2.5D, merged",
            Self::ThreeDAveraged => "3D, averaged",
            Self::ThreeDMerged => "3D, merged",
        }
    }

    /// The column-name suffix (MIRP's abbreviations): `2d_avg`, `2d_s_mrg`,
    /// `2_5d_d_mrg`, `2_5d_v_mrg`, `3d_avg`, `3d_v_mrg`.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::TwoDAveraged => "2d_avg",
            Self::TwoDSliceMerged => "2d_s_mrg",
            Self::TwoHalfDDirectionMerged => "2_5d_d_mrg",
            Self::TwoHalfDMerged => "2_5d_v_mrg",
            Self::ThreeDAveraged => "3d_avg",
            Self::ThreeDMerged => "3d_v_mrg",
        }
    }

    /// Whether the matrices are counted in 3D.
    pub fn is_volumetric(self) -> bool {
        matches!(self, Self::ThreeDAveraged | Self::ThreeDMerged)
    }
}
