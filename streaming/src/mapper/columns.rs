//! The mapper's output row: its columns (for `--schema` and `--hive-ddl`), the cells of
//! one row, and their rendering as a tab-separated line (Hive's LazySimpleSerDe text
//! format: `\N` for null, no tab or line break inside a field) or a JSON object.
//!
//! Columns, in order: the record's key columns; `status`; `image_path`; `frame`; the
//! metadata of `scans.parquet` (after its `image_path`); the recipe's features; then
//! `error_kind` and `error`.

use std::borrow::Cow;
use std::fmt::Write as _;

use anyhow::Result;
use arrow_schema::DataType;

use crate::sinks::hive_ddl;
use crate::sinks::parquet::{iso_date, scans_schema, ScanRow};
use crate::typedbytes::Value;

/// One output column and its Hive type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Hive type: STRING, INT, DATE or DOUBLE.
    pub hive_type: &'static str,
}

/// The metadata columns of a row: those of `scans.parquet` after `image_path`.
fn metadata_columns() -> Result<Vec<Column>> {
    scans_schema()
        .fields()
        .iter()
        .skip(1)
        .map(|f| {
            Ok(Column {
                name: f.name().clone(),
                hive_type: hive_ddl::hive_type(f.data_type())?,
            })
        })
        .collect()
}

/// Every output column for these key column names and feature names.
pub fn columns(key_columns: &[String], feature_names: &[String]) -> Result<Vec<Column>> {
    let column = |name: &str, hive_type| Column {
        name: name.to_owned(),
        hive_type,
    };
    let string = hive_ddl::hive_type(&DataType::Utf8)?;
    let mut columns: Vec<Column> = key_columns.iter().map(|k| column(k, string)).collect();
    columns.push(column("status", string));
    columns.push(column("image_path", string));
    columns.push(column("frame", hive_ddl::hive_type(&DataType::Int32)?));
    columns.extend(metadata_columns()?);
    let double = hive_ddl::hive_type(&DataType::Float64)?;
    columns.extend(feature_names.iter().map(|f| column(f, double)));
    columns.push(column("error_kind", string));
    columns.push(column("error", string));
    Ok(columns)
}

/// `CREATE EXTERNAL TABLE` for the tab-separated output under `location`.
pub fn hive_ddl(table: &str, columns: &[Column], location: &str) -> Result<String> {
    hive_ddl::check_table_name(table)?;
    let mut sql = format!("CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n");
    for (i, c) in columns.iter().enumerate() {
        let separator = if i + 1 < columns.len() { "," } else { "" };
        writeln!(
            sql,
            "  `{}` {}{separator}",
            c.name.replace('`', "``"),
            c.hive_type
        )?;
    }
    writeln!(
        sql,
        ")\nROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' LINES TERMINATED BY '\\n'\n\
         NULL DEFINED AS '\\\\N'\nSTORED AS TEXTFILE\nLOCATION '{}';",
        location.replace('\\', "\\\\").replace('\'', "\\'")
    )?;
    Ok(sql)
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// SQL NULL.
    Null,
    /// Text (raw bytes for key columns passed through from the input).
    Text(Cow<'a, [u8]>),
    /// An integer.
    Int(i64),
    /// A floating-point value; NaN and infinities allowed.
    Double(f64),
    /// A date as days since 1970-01-01.
    Date(i32),
}

impl<'a> Cell<'a> {
    /// A text cell.
    pub fn text(text: &'a str) -> Self {
        Self::Text(Cow::Borrowed(text.as_bytes()))
    }

    fn optional_text(text: Option<&'a str>) -> Self {
        text.map_or(Self::Null, Self::text)
    }

    fn optional_double(value: Option<f64>) -> Self {
        value.map_or(Self::Null, Self::Double)
    }

    fn optional_date(days: Option<i32>) -> Self {
        days.map_or(Self::Null, Self::Date)
    }

    /// Appends the cell as a LazySimpleSerDe text field.
    pub fn write_tsv(&self, line: &mut Vec<u8>) {
        match self {
            Self::Null => line.extend_from_slice(b"\\N"),
            Self::Text(bytes) => line.extend(bytes.iter().map(|&b| match b {
                b'\t' | b'\n' | b'\r' => b' ',
                other => other,
            })),
            Self::Int(value) => line.extend_from_slice(value.to_string().as_bytes()),
            Self::Double(value) => line.extend_from_slice(format_double(*value).as_bytes()),
            Self::Date(days) => line.extend_from_slice(iso_date(*days).as_bytes()),
        }
    }

    /// The cell as a JSON value (NaN and infinities, which JSON lacks, become null).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Text(bytes) => String::from_utf8_lossy(bytes).into_owned().into(),
            Self::Int(value) => (*value).into(),
            Self::Double(value) => serde_json::Number::from_f64(*value)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Self::Date(days) => iso_date(*days).into(),
        }
    }
}

impl Cell<'_> {
    /// The cell as a typed bytes value; `None` for null (typed bytes has no null).
    pub fn to_typed(&self) -> Option<Value> {
        match self {
            Self::Null => None,
            Self::Text(bytes) => Some(Value::String(String::from_utf8_lossy(bytes).into_owned())),
            Self::Int(value) => Some(Value::Long(*value)),
            Self::Double(value) => Some(Value::Double(*value)),
            Self::Date(days) => Some(Value::String(iso_date(*days))),
        }
    }
}

/// A double as text that Java's `Double.parseDouble` (Hive) and Python's `float` read
/// back to the same value: the shortest round-trip digits, `NaN`, `Infinity`.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        // Debug, unlike Display, switches to an exponent for tiny and huge values.
        format!("{value:?}")
    }
}

/// The metadata cells of an image, in [`metadata_columns`] order.
pub fn metadata_cells(scan: &ScanRow) -> Vec<Cell<'_>> {
    vec![
        Cell::optional_text(scan.patient_id.as_deref()),
        Cell::optional_text(scan.study_instance_uid.as_deref()),
        Cell::optional_text(scan.series_instance_uid.as_deref()),
        Cell::optional_text(scan.sop_instance_uid.as_deref()),
        Cell::optional_text(scan.sop_class_uid.as_deref()),
        Cell::optional_text(scan.modality.as_deref()),
        Cell::optional_date(scan.scan_date),
        Cell::optional_date(scan.acquisition_date),
        Cell::Int(scan.rows.into()),
        Cell::Int(scan.cols.into()),
        Cell::Int(scan.frames.into()),
        Cell::Int(scan.bits_stored.into()),
        Cell::optional_text(scan.photometric_interpretation.as_deref()),
        Cell::text(&scan.transfer_syntax),
        Cell::optional_double(scan.pixel_spacing_row),
        Cell::optional_double(scan.pixel_spacing_col),
        Cell::optional_double(scan.slice_thickness),
        Cell::text(&scan.recipe),
    ]
}

/// Null cells for every metadata column (error rows).
pub fn null_metadata() -> Vec<Cell<'static>> {
    vec![Cell::Null; METADATA_COLUMNS]
}

/// Number of metadata columns.
pub const METADATA_COLUMNS: usize = 18;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_cells_match_the_scans_columns() {
        let columns = metadata_columns().expect("columns");
        assert_eq!(columns.len(), METADATA_COLUMNS);
        let scan = ScanRow {
            image_path: "a.dcm".into(),
            patient_id: None,
            study_instance_uid: None,
            series_instance_uid: None,
            sop_instance_uid: None,
            sop_class_uid: None,
            modality: Some("CT".into()),
            scan_date: Some(0),
            acquisition_date: None,
            rows: 2,
            cols: 3,
            frames: 1,
            bits_stored: 12,
            photometric_interpretation: None,
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
            pixel_spacing_row: None,
            pixel_spacing_col: None,
            slice_thickness: None,
            recipe: "ct-standard".into(),
        };
        assert_eq!(metadata_cells(&scan).len(), METADATA_COLUMNS);
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names[0], "patient_id");
        assert_eq!(names[6], "scan_date");
        assert_eq!(columns[6].hive_type, "DATE");
        assert_eq!(names[METADATA_COLUMNS - 1], "recipe");
    }

    #[test]
    fn doubles_round_trip_through_text() {
        for value in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            123_456.789,
            1e300,
            f64::MIN_POSITIVE,
        ] {
            let text = format_double(value);
            assert_eq!(
                text.parse::<f64>().expect("parses").to_bits(),
                value.to_bits(),
                "{text}"
            );
        }
        assert_eq!(format_double(1e-7), "1e-7");
        assert_eq!(format_double(f64::NAN), "NaN");
        assert_eq!(format_double(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn fields_never_break_a_line() {
        let mut line = Vec::new();
        Cell::Text(Cow::Borrowed(b"a\tb\nc\rd")).write_tsv(&mut line);
        line.push(b'\t');
        Cell::Null.write_tsv(&mut line);
        line.push(b'\t');
        Cell::Date(19_724).write_tsv(&mut line);
        assert_eq!(line, b"a b c d\t\\N\t2024-01-02");
    }

    #[test]
    fn hive_ddl_declares_a_tab_separated_text_table() {
        let columns = columns(&["patient_id".into()], &["original_mean".into()]).expect("columns");
        let sql = hive_ddl("image_features_raw", &columns, "/data/out").expect("DDL");
        assert!(sql.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS image_features_raw (\n  `patient_id` STRING,\n  `status` STRING,"));
        assert!(sql.contains("  `frame` INT,\n"));
        assert!(
            sql.contains("  `original_mean` DOUBLE,\n  `error_kind` STRING,\n  `error` STRING\n)")
        );
        assert!(sql.contains("FIELDS TERMINATED BY '\\t'"));
        assert!(sql.contains("NULL DEFINED AS '\\\\N'"));
        assert!(sql.ends_with("STORED AS TEXTFILE\nLOCATION '/data/out';\n"));
        assert!(hive_ddl("bad name", &columns, "/x").is_err());
    }
}
