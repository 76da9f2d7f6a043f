//! The tables of series mode: `scans` with one [`SeriesRow`] per assembled scan, and
//! `features` with one [`RoiFeatureRow`] per (scan, ROI).

use arrow_schema::Schema;
use medprep::cpu::stats::provenance::FeatureColumn;
use medprep::volume::series::Series;

use super::{row_struct, Column, ColumnType, Days, Spec};

row_struct! {
    /// One scan (a series, or one temporal position of it) in series mode's `scans`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SeriesRow {
        /// Where the scan came from: its first slice file as discovered.
        pub image_path: String,
        /// Patient ID (0010,0020).
        pub patient_id: Option<String>,
        /// Study Instance UID.
        pub study_instance_uid: Option<String>,
        /// Series Instance UID.
        pub series_instance_uid: Option<String>,
        /// Modality, e.g. `CT`.
        pub modality: Option<String>,
        /// Study date, else acquisition date.
        pub scan_date: Option<Days>,
        /// Frame of Reference UID.
        pub frame_of_reference_uid: Option<String>,
        /// Voxels along x (columns).
        pub size_x: i32,
        /// Voxels along y (rows).
        pub size_y: i32,
        /// Voxels along z (slices).
        pub size_z: i32,
        /// Spacing along x in mm.
        pub spacing_x: f64,
        /// Spacing along y in mm.
        pub spacing_y: f64,
        /// Spacing along z in mm, from the slice positions.
        pub spacing_z: f64,
        /// Centre of the first voxel, patient x (LPS, mm).
        pub origin_x: f64,
        /// Centre of the first voxel, patient y (LPS, mm).
        pub origin_y: f64,
        /// Centre of the first voxel, patient z (LPS, mm).
        pub origin_z: f64,
        /// Direction cosines, row-major 3 × 3 (column k: index axis k), comma-separated.
        pub orientation: String,
        /// Slice files stacked into the scan.
        pub slice_count: i32,
        /// Temporal Position Identifier of a multi-phase series.
        pub temporal_position: Option<i32>,
        /// Series Description (0008,103E).
        pub series_description: Option<String>,
        /// Body Part Examined (0018,0015).
        pub body_part: Option<String>,
        /// Manufacturer (0008,0070).
        pub manufacturer: Option<String>,
        /// MR Echo Time in ms.
        pub echo_time: Option<f64>,
        /// MR Repetition Time in ms.
        pub repetition_time: Option<f64>,
        /// MR Magnetic Field Strength in T.
        pub magnetic_field_strength: Option<f64>,
        /// What was noticed assembling the scan (gantry tilt, duplicates, ...), `; `-joined.
        pub warnings: String,
        /// The scan's montage (slices with ROI outlines), relative to the output folder.
        pub montage: Option<String>,
        /// The processed scan as NIfTI (`[series] volumes`), relative to the output folder.
        pub volume: Option<String>,
        /// Name of the recipe.
        pub recipe: String,
    }
}

impl SeriesRow {
    /// The row of an assembled scan whose first slice is `image_path`, pictured in
    /// `montage` and written as `volume` (paths relative to the output folder), when they
    /// were written.
    pub fn new(
        image_path: String,
        series: &Series,
        recipe: &str,
        montage: Option<String>,
        volume: Option<String>,
    ) -> Self {
        let meta = &series.meta;
        let grid = &series.volume.grid;
        let int = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        let orientation: Vec<String> = grid.direction.iter().map(|d| format!("{d}")).collect();
        Self {
            image_path,
            patient_id: meta.patient_id.clone(),
            study_instance_uid: meta.study_instance_uid.clone(),
            series_instance_uid: meta.series_instance_uid.clone(),
            modality: meta.modality.clone(),
            scan_date: meta.study_date.or(meta.acquisition_date).map(Days::from),
            frame_of_reference_uid: series.frame_of_reference.clone(),
            size_x: int(grid.size[0]),
            size_y: int(grid.size[1]),
            size_z: int(grid.size[2]),
            spacing_x: grid.spacing[0],
            spacing_y: grid.spacing[1],
            spacing_z: grid.spacing[2],
            origin_x: grid.origin[0],
            origin_y: grid.origin[1],
            origin_z: grid.origin[2],
            orientation: orientation.join(","),
            slice_count: int(series.slices.len()),
            temporal_position: series
                .info
                .temporal_position
                .map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
            series_description: series.info.series_description.clone(),
            body_part: series.info.body_part.clone(),
            manufacturer: series.info.manufacturer.clone(),
            echo_time: series.info.echo_time,
            repetition_time: series.info.repetition_time,
            magnetic_field_strength: series.info.magnetic_field_strength,
            warnings: series.warnings.join("; "),
            montage,
            volume,
            recipe: recipe.to_owned(),
        }
    }

    /// The columns of series mode's `scans`.
    pub fn specs() -> Vec<Spec> {
        Self::COLUMNS.iter().map(Column::spec).collect()
    }
}

row_struct! {
    /// One ROI of one scan in series mode's `features`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct RoiFeatureRow {
        /// Patient ID of the scan.
        pub patient_id: Option<String>,
        /// Series Instance UID of the scan.
        pub series_instance_uid: Option<String>,
        /// The scan's first slice file, as in `scans`.
        pub image_path: String,
        /// Temporal Position Identifier of a multi-phase series.
        pub temporal_position: Option<i32>,
        /// The ROI's name (RTSTRUCT ROI Name).
        pub roi: String,
        /// The ROI's number (RTSTRUCT ROI Number).
        pub roi_number: i32,
        /// Voxels of the ROI (the morphological mask) on the grid features were computed on.
        pub roi_voxels: i32,
        /// Voxels left after re-segmentation (the intensity mask).
        pub intensity_voxels: i32,
        /// The ROI's mask on the processed scan as NIfTI, relative to the output folder.
        pub mask: Option<String>,
    }
    extra {
        /// Feature values in the recipe's column order.
        pub features: Vec<f64>,
    }
}

impl RoiFeatureRow {
    /// The columns of series mode's `features`: [`RoiFeatureRow::COLUMNS`], then one
    /// non-null `DOUBLE` (NaN allowed) per feature column, documented by its IBSI name.
    pub fn specs(columns: &[FeatureColumn]) -> Vec<Spec> {
        Self::COLUMNS
            .iter()
            .map(Column::spec)
            .chain(columns.iter().map(|column| {
                let aggregation = column
                    .aggregation
                    .map_or_else(String::new, |a| format!(", {}", a.ibsi_name()));
                Spec::new(
                    column.name.clone(),
                    ColumnType::Double,
                    false,
                    format!(
                        "IBSI {} ({}, {}){aggregation} of the {} map.",
                        column.feature.feature,
                        column.feature.symbol,
                        column.feature.code,
                        column.map
                    ),
                )
            }))
            .collect()
    }
}

/// The Arrow schema of series mode's `features`, each feature field carrying its
/// provenance as field metadata ([`super::arrow::with_provenance`]).
pub fn roi_features_schema(columns: &[FeatureColumn]) -> Schema {
    super::arrow::with_provenance(
        super::arrow::schema(&RoiFeatureRow::specs(columns)),
        RoiFeatureRow::COLUMNS.len(),
        columns,
    )
}
