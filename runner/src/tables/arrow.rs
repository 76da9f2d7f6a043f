//! The tables as Arrow data: schemas from the [`Spec`]s, record batches from rows and
//! rows back from record batches. The Parquet writer and the rerun reader of the CLI,
//! the mapper's side outputs and the Python module's pyarrow table all go through here,
//! so the bytes of a table depend only on its rows.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_array::builder::{Date32Builder, Float64Builder, Int32Builder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use medprep::cpu::stats::provenance::FeatureColumn;

use super::{Cell, Column, ColumnType, FeatureRow, RoiFeatureRow, ScanRow, SeriesRow, Spec};

/// A row type of a table: its fixed [`Column`]s, then any number of trailing `DOUBLE`
/// columns (the features of a recipe).
pub trait Row: Sized + Default + 'static {
    /// The fixed columns, in table order.
    const FIXED: &'static [Column<Self>];
    /// Whether trailing `DOUBLE` columns follow the fixed ones.
    const TRAILING_DOUBLES: bool;
    /// The values of the trailing columns.
    fn trailing(&self) -> &[f64];
    /// Sets the values of the trailing columns.
    fn set_trailing(&mut self, values: Vec<f64>);
}

impl Row for ScanRow {
    const FIXED: &'static [Column<Self>] = Self::COLUMNS;
    const TRAILING_DOUBLES: bool = false;
    fn trailing(&self) -> &[f64] {
        &[]
    }
    fn set_trailing(&mut self, _: Vec<f64>) {}
}

impl Row for FeatureRow {
    const FIXED: &'static [Column<Self>] = Self::COLUMNS;
    const TRAILING_DOUBLES: bool = true;
    fn trailing(&self) -> &[f64] {
        &self.features
    }
    fn set_trailing(&mut self, values: Vec<f64>) {
        self.features = values;
    }
}

impl Row for SeriesRow {
    const FIXED: &'static [Column<Self>] = Self::COLUMNS;
    const TRAILING_DOUBLES: bool = false;
    fn trailing(&self) -> &[f64] {
        &[]
    }
    fn set_trailing(&mut self, _: Vec<f64>) {}
}

impl Row for RoiFeatureRow {
    const FIXED: &'static [Column<Self>] = Self::COLUMNS;
    const TRAILING_DOUBLES: bool = true;
    fn trailing(&self) -> &[f64] {
        &self.features
    }
    fn set_trailing(&mut self, values: Vec<f64>) {
        self.features = values;
    }
}

/// The Arrow type of a column type.
pub fn data_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Text => DataType::Utf8,
        ColumnType::Int => DataType::Int32,
        ColumnType::Double => DataType::Float64,
        ColumnType::Date => DataType::Date32,
    }
}

/// The Arrow schema of a table.
pub fn schema(specs: &[Spec]) -> Schema {
    Schema::new(
        specs
            .iter()
            .map(|spec| Field::new(spec.name.as_ref(), data_type(spec.ty), spec.nullable))
            .collect::<Vec<_>>(),
    )
}

/// `schema` with the provenance of each feature column ([`FeatureColumn::provenance`]:
/// map, IBSI family, feature, code, symbol, aggregation) as the metadata of its field;
/// the feature fields follow the `fixed` leading ones, in `columns` order.
pub fn with_provenance(schema: Schema, fixed: usize, columns: &[FeatureColumn]) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let field = field.as_ref().clone();
            match i.checked_sub(fixed).and_then(|k| columns.get(k)) {
                Some(column) => field.with_metadata(
                    column
                        .provenance()
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<HashMap<_, _>>(),
                ),
                None => field,
            }
        })
        .collect();
    Schema::new(fields)
}

/// The record batch of `rows` in `schema` (the schema of the rows' table). A row with
/// fewer trailing values than the schema has columns would be a bug of the caller; NaN
/// keeps the column lengths right.
pub fn record_batch<R: Row>(rows: &[R], schema: &SchemaRef) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = R::FIXED
        .iter()
        .map(|column| array(column.ty, rows.iter().map(|row| (column.get)(row))))
        .collect();
    let trailing = schema.fields().len().saturating_sub(R::FIXED.len());
    columns.extend((0..trailing).map(|k| {
        array(
            ColumnType::Double,
            rows.iter()
                .map(|row| Cell::Double(row.trailing().get(k).copied().unwrap_or(f64::NAN))),
        )
    }));
    RecordBatch::try_new(Arc::clone(schema), columns).context("building a record batch")
}

/// One Arrow array of cells of type `ty`.
fn array<'a>(ty: ColumnType, cells: impl Iterator<Item = Cell<'a>>) -> ArrayRef {
    match ty {
        ColumnType::Text => {
            let mut builder = StringBuilder::new();
            for cell in cells {
                match cell {
                    Cell::Text(bytes) => builder.append_value(String::from_utf8_lossy(&bytes)),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        ColumnType::Int => {
            let mut builder = Int32Builder::new();
            for cell in cells {
                match cell {
                    Cell::Int(value) => {
                        builder.append_value(i32::try_from(value).unwrap_or(i32::MAX));
                    }
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        ColumnType::Double => {
            let mut builder = Float64Builder::new();
            for cell in cells {
                match cell {
                    Cell::Double(value) => builder.append_value(value),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
        ColumnType::Date => {
            let mut builder = Date32Builder::new();
            for cell in cells {
                match cell {
                    Cell::Date(days) => builder.append_value(days),
                    _ => builder.append_null(),
                }
            }
            Arc::new(builder.finish())
        }
    }
}

/// The rows of a batch of `R`'s table. Refuses a batch whose columns (names and types)
/// are not the ones medprep writes for `R`, so that one table is never misread as
/// another.
pub fn rows<R: Row>(batch: &RecordBatch) -> Result<Vec<R>> {
    let schema = batch.schema();
    let fixed = R::FIXED.len();
    let fits = schema.fields().len() >= fixed
        && R::FIXED
            .iter()
            .zip(schema.fields().iter())
            .all(|(column, field)| {
                field.name() == column.name && field.data_type() == &data_type(column.ty)
            })
        && (if R::TRAILING_DOUBLES {
            schema.fields()[fixed..]
                .iter()
                .all(|f| f.data_type() == &DataType::Float64)
        } else {
            schema.fields().len() == fixed
        });
    if !fits {
        bail!("the table's columns are not the ones medprep writes");
    }
    let trailing: Vec<&Float64Array> = (fixed..batch.num_columns())
        .map(|c| typed::<Float64Array>(batch.column(c)))
        .collect::<Result<_>>()?;
    (0..batch.num_rows())
        .map(|i| {
            let mut row = R::default();
            for (c, column) in R::FIXED.iter().enumerate() {
                let cell = cell(batch.column(c), column.ty, i)?;
                (column.set)(&mut row, cell)
                    .with_context(|| format!("null in the required column {}", column.name))?;
            }
            if R::TRAILING_DOUBLES {
                row.set_trailing(
                    trailing
                        .iter()
                        .map(|a| if a.is_valid(i) { a.value(i) } else { f64::NAN })
                        .collect(),
                );
            }
            Ok(row)
        })
        .collect()
}

fn typed<T: 'static>(array: &ArrayRef) -> Result<&T> {
    array
        .as_any()
        .downcast_ref::<T>()
        .context("unexpected column type")
}

/// The cell at `row` of a column of type `ty`.
fn cell(array: &ArrayRef, ty: ColumnType, row: usize) -> Result<Cell<'_>> {
    if !array.is_valid(row) {
        return Ok(Cell::Null);
    }
    Ok(match ty {
        ColumnType::Text => Cell::Text(typed::<StringArray>(array)?.value(row).as_bytes().into()),
        ColumnType::Int => Cell::Int(typed::<Int32Array>(array)?.value(row).into()),
        ColumnType::Double => Cell::Double(typed::<Float64Array>(array)?.value(row)),
        ColumnType::Date => Cell::Date(typed::<Date32Array>(array)?.value(row)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Days;

    fn scan(i: usize) -> ScanRow {
        ScanRow {
            image_path: format!("in/{i:05}.dcm"),
            patient_id: (!i.is_multiple_of(3)).then(|| format!("P{i}")),
            study_instance_uid: Some("1.2.3".into()),
            sop_instance_uid: Some(format!("1.2.3.{i}")),
            modality: Some("CT".into()),
            scan_date: i.is_multiple_of(2).then_some(Days(19_724)),
            rows: 512,
            cols: 512,
            frames: 1,
            bits_stored: 12,
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
            pixel_spacing_col: (!i.is_multiple_of(5)).then_some(0.7),
            recipe: "plain".into(),
            ..ScanRow::default()
        }
    }

    #[test]
    fn scan_rows_round_trip_and_keep_the_declared_schema() {
        let schema = Arc::new(schema(&ScanRow::specs()));
        let rows: Vec<ScanRow> = (0..50).map(scan).collect();
        let batch = record_batch(&rows, &schema).expect("batch");
        assert_eq!(
            batch
                .schema()
                .field_with_name("scan_date")
                .expect("field")
                .data_type(),
            &DataType::Date32
        );
        assert!(!batch
            .schema()
            .field_with_name("image_path")
            .expect("field")
            .is_nullable());
        assert!(batch
            .schema()
            .field_with_name("patient_id")
            .expect("field")
            .is_nullable());
        assert_eq!(batch.num_columns(), 19);
        assert_eq!(self::rows::<ScanRow>(&batch).expect("rows"), rows);
    }

    #[test]
    fn feature_rows_round_trip_with_nan_and_another_table_is_refused() {
        let names: Vec<String> = vec!["original_mean".into(), "original_p90".into()];
        let schema = Arc::new(schema(&FeatureRow::specs(&names)));
        let rows: Vec<FeatureRow> = (0..10)
            .map(|i| FeatureRow {
                sop_instance_uid: Some(format!("1.2.{i}")),
                patient_id: None,
                image_path: format!("f{i}.dcm"),
                frame: i % 4,
                features: vec![f64::from(i) * 0.5, if i == 7 { f64::NAN } else { -1.0 }],
            })
            .collect();
        let batch = record_batch(&rows, &schema).expect("batch");
        let back = self::rows::<FeatureRow>(&batch).expect("rows");
        for (row, expected) in back.iter().zip(&rows) {
            assert_eq!(row.image_path, expected.image_path);
            assert_eq!(row.features[0], expected.features[0]);
            assert_eq!(row.features[1].to_bits(), expected.features[1].to_bits());
        }
        let error = self::rows::<ScanRow>(&batch).expect_err("not a scans table");
        assert!(
            error.to_string().contains("not the ones medprep writes"),
            "{error}"
        );
    }
}
