//! The `scans` table: one row per image.

use medprep::Metadata;

use super::{row_struct, Days, Spec};

row_struct! {
    /// One image in `scans`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ScanRow {
        /// The input file as discovered (relative when given relative).
        pub image_path: String,
        /// Patient ID (0010,0020).
        pub patient_id: Option<String>,
        /// Study Instance UID.
        pub study_instance_uid: Option<String>,
        /// Series Instance UID.
        pub series_instance_uid: Option<String>,
        /// SOP Instance UID.
        pub sop_instance_uid: Option<String>,
        /// SOP Class UID.
        pub sop_class_uid: Option<String>,
        /// Modality, e.g. `CT`.
        pub modality: Option<String>,
        /// Study date, else acquisition date.
        pub scan_date: Option<Days>,
        /// Acquisition date.
        pub acquisition_date: Option<Days>,
        /// Rows per frame.
        pub rows: i32,
        /// Columns per frame.
        pub cols: i32,
        /// Number of frames.
        pub frames: i32,
        /// Bits Stored.
        pub bits_stored: i32,
        /// Photometric Interpretation as written in the header.
        pub photometric_interpretation: Option<String>,
        /// Transfer Syntax UID.
        pub transfer_syntax: String,
        /// Row spacing in mm.
        pub pixel_spacing_row: Option<f64>,
        /// Column spacing in mm.
        pub pixel_spacing_col: Option<f64>,
        /// Slice Thickness in mm.
        pub slice_thickness: Option<f64>,
        /// Name of the recipe that produced the features.
        pub recipe: String,
    }
}

impl ScanRow {
    /// The row of an image read from `image_path` and processed with recipe `recipe`.
    pub fn new(image_path: String, meta: &Metadata, recipe: &str) -> Self {
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let spacing = meta.geometry.pixel_spacing;
        Self {
            image_path,
            patient_id: meta.patient_id.clone(),
            study_instance_uid: meta.study_instance_uid.clone(),
            series_instance_uid: meta.series_instance_uid.clone(),
            sop_instance_uid: meta.sop_instance_uid.clone(),
            sop_class_uid: meta.sop_class_uid.clone(),
            modality: meta.modality.clone(),
            scan_date: meta.study_date.or(meta.acquisition_date).map(Days::from),
            acquisition_date: meta.acquisition_date.map(Days::from),
            rows: int(meta.rows),
            cols: int(meta.cols),
            frames: int(meta.frames),
            bits_stored: i32::from(meta.bits_stored),
            photometric_interpretation: meta.photometric_interpretation.clone(),
            transfer_syntax: meta.transfer_syntax.clone(),
            pixel_spacing_row: spacing.map(|s| s[0]),
            pixel_spacing_col: spacing.map(|s| s[1]),
            slice_thickness: meta.geometry.slice_thickness,
            recipe: recipe.to_owned(),
        }
    }

    /// The columns of `scans`.
    pub fn specs() -> Vec<Spec> {
        Self::COLUMNS.iter().map(super::Column::spec).collect()
    }
}
