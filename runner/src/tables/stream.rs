//! The rows of the streaming mapper (`preprocess_image`): one row per frame of an image
//! (one per record for single-frame images), one error row per failed record.
//!
//! Columns, in order: the record's key columns; `status` (`ok` or `error`);
//! `image_path`; `frame`; the columns of `scans` after its `image_path`; the recipe's
//! features; `image_base64` when rows carry the image; then `error_kind` and `error`.

use super::{Cell, ColumnType, ScanRow, Spec};

/// Every column of the mapper's rows for these key columns and features.
pub fn columns(key_columns: &[String], feature_names: &[String], with_image: bool) -> Vec<Spec> {
    let text =
        |name: &str, doc: &'static str| Spec::new(name.to_owned(), ColumnType::Text, true, doc);
    let mut columns: Vec<Spec> = key_columns
        .iter()
        .map(|key| text(key, "A key column of the record, passed through."))
        .collect();
    columns.push(text("status", "`ok`, or `error` for a record that failed."));
    columns.push(text(
        "image_path",
        "The path the record names; null for bytes records.",
    ));
    columns.push(Spec::new(
        "frame",
        ColumnType::Int,
        true,
        "Zero-based frame index; null on error rows.",
    ));
    columns.extend(metadata_specs());
    columns.extend(feature_names.iter().map(|name| {
        Spec::new(
            name.clone(),
            ColumnType::Double,
            true,
            "A feature of the recipe; null on error rows.",
        )
    }));
    if with_image {
        columns.push(text(
            "image_base64",
            "The preprocessed image (.npy or .png), base64-encoded.",
        ));
    }
    columns.push(text("error_kind", "The error kind of an error row."));
    columns.push(text("error", "The error message of an error row."));
    columns
}

/// The metadata columns of a row: those of `scans` after its `image_path`, nullable
/// (error rows have none).
fn metadata_specs() -> impl Iterator<Item = Spec> {
    ScanRow::COLUMNS[1..].iter().map(|column| Spec {
        nullable: true,
        ..column.spec()
    })
}

/// Number of metadata columns.
pub const METADATA_COLUMNS: usize = ScanRow::COLUMNS.len() - 1;

/// The metadata cells of an image, in column order.
pub fn metadata_cells(scan: &ScanRow) -> impl Iterator<Item = Cell<'_>> {
    ScanRow::COLUMNS[1..]
        .iter()
        .map(move |column| (column.get)(scan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_the_scan_columns_between_frame_and_the_features() {
        let columns = columns(&["patient_id".into()], &["original_mean".into()], false);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_ref()).collect();
        assert_eq!(&names[..4], ["patient_id", "status", "image_path", "frame"]);
        assert_eq!(names[4], "patient_id");
        assert_eq!(names[10], "scan_date");
        assert_eq!(columns[10].ty, ColumnType::Date);
        assert_eq!(names[4 + METADATA_COLUMNS - 1], "recipe");
        assert_eq!(
            &names[4 + METADATA_COLUMNS..],
            ["original_mean", "error_kind", "error"]
        );
        assert_eq!(
            metadata_cells(&ScanRow::default()).count(),
            METADATA_COLUMNS
        );
        let with_image = super::columns(&[], &[], true);
        assert_eq!(with_image[with_image.len() - 3].name, "image_base64");
    }
}
