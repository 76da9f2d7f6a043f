//! The `features` table: one row per frame, its identifiers then one `DOUBLE` column
//! per feature of the recipe.

use super::ScanRow;
use super::{row_struct, Column, ColumnType, Spec};
use crate::FrameOut;

row_struct! {
    /// One frame in `features`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct FeatureRow {
        /// SOP Instance UID of the image.
        pub sop_instance_uid: Option<String>,
        /// Patient ID of the image.
        pub patient_id: Option<String>,
        /// The input file, as in `scans`.
        pub image_path: String,
        /// Zero-based frame index.
        pub frame: i32,
    }
    extra {
        /// Feature values in the recipe's column order.
        pub features: Vec<f64>,
    }
}

impl FeatureRow {
    /// The row of `frame` of the image whose scan row is `scan`.
    pub fn of(scan: &ScanRow, frame: FrameOut) -> Self {
        Self {
            sop_instance_uid: scan.sop_instance_uid.clone(),
            patient_id: scan.patient_id.clone(),
            image_path: scan.image_path.clone(),
            frame: i32::try_from(frame.frame).unwrap_or(i32::MAX),
            features: frame.features,
        }
    }

    /// The columns of `features` for these feature names: [`FeatureRow::COLUMNS`], then
    /// one non-null `DOUBLE` (NaN allowed) per feature.
    pub fn specs(feature_names: &[String]) -> Vec<Spec> {
        Self::COLUMNS
            .iter()
            .map(Column::spec)
            .chain(feature_names.iter().map(|name| {
                Spec::new(
                    name.clone(),
                    ColumnType::Double,
                    false,
                    "A feature of the recipe, `<map>_<statistic>`.",
                )
            }))
            .collect()
    }
}
