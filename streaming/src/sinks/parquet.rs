//! The two tables of a batch run as Parquet files (Snappy), written and read row by row
//! with bounded memory.
//!
//! - `scans`: one [`ScanRow`] per image: identifiers, dates as Parquet `DATE`, geometry.
//! - `features`: one [`FeatureRow`] per frame: identifiers, the frame index, then one
//!   `DOUBLE` column per feature name (NaN allowed).
//!
//! [`TableWriter`] hands rows to the Parquet writer in batches of [`BATCH_ROWS`], which
//! encodes them at once and closes a row group every [`ROW_GROUP_ROWS`] rows, so memory
//! does not grow with the table: at most one batch of rows and one row group of encoded
//! values are held. The bytes depend only on the rows
//! and their order. [`TableReader`] streams a table back, which a rerun uses to carry
//! finished rows over.

use std::collections::VecDeque;
use std::fs::File;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow_array::builder::{Date32Builder, Float64Builder, Int32Builder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use medprep::{Date, Metadata};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

/// Rows per row group, and per batch read back.
pub const ROW_GROUP_ROWS: usize = 1024;

/// Rows per data page.
pub const PAGE_ROWS: usize = 128;

/// Rows held as Rust values before they are encoded. Small, so that a run of a few
/// hundred images peaks no higher than a run of a million (a row of ct-standard
/// features is about 1.3 KiB before encoding, and building its Arrow arrays doubles it).
pub const BATCH_ROWS: usize = 64;

/// A row type of one of the tables.
pub trait Row: Sized {
    /// Builds the Arrow columns of `rows` in `schema` order.
    fn columns(rows: &[Self], schema: &Schema) -> Vec<ArrayRef>;
    /// Reads the rows of a batch with this table's schema.
    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>>;
}

/// One image in `scans.parquet`.
#[derive(Debug, Clone, PartialEq)]
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
    /// Study date, else acquisition date, as days since 1970-01-01.
    pub scan_date: Option<i32>,
    /// Acquisition date as days since 1970-01-01.
    pub acquisition_date: Option<i32>,
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
            scan_date: meta
                .study_date
                .or(meta.acquisition_date)
                .map(days_since_epoch),
            acquisition_date: meta.acquisition_date.map(days_since_epoch),
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
}

/// The schema of `scans.parquet`.
pub fn scans_schema() -> Schema {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    let int = |name: &str| Field::new(name, DataType::Int32, false);
    let float = |name: &str| Field::new(name, DataType::Float64, true);
    Schema::new(vec![
        Field::new("image_path", DataType::Utf8, false),
        text("patient_id"),
        text("study_instance_uid"),
        text("series_instance_uid"),
        text("sop_instance_uid"),
        text("sop_class_uid"),
        text("modality"),
        Field::new("scan_date", DataType::Date32, true),
        Field::new("acquisition_date", DataType::Date32, true),
        int("rows"),
        int("cols"),
        int("frames"),
        int("bits_stored"),
        text("photometric_interpretation"),
        Field::new("transfer_syntax", DataType::Utf8, false),
        float("pixel_spacing_row"),
        float("pixel_spacing_col"),
        float("slice_thickness"),
        Field::new("recipe", DataType::Utf8, false),
    ])
}

/// One frame in `features.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    /// SOP Instance UID of the image.
    pub sop_instance_uid: Option<String>,
    /// Patient ID of the image.
    pub patient_id: Option<String>,
    /// The input file, as in `scans.parquet`.
    pub image_path: String,
    /// Zero-based frame index.
    pub frame: i32,
    /// Feature values in column order.
    pub features: Vec<f64>,
}

/// Columns of `features.parquet` before the feature columns.
pub const FEATURE_KEY_COLUMNS: usize = 4;

/// The schema of `features.parquet` for these feature names.
pub fn features_schema(feature_names: &[String]) -> Schema {
    let mut fields = vec![
        Field::new("sop_instance_uid", DataType::Utf8, true),
        Field::new("patient_id", DataType::Utf8, true),
        Field::new("image_path", DataType::Utf8, false),
        Field::new("frame", DataType::Int32, false),
    ];
    fields.extend(
        feature_names
            .iter()
            .map(|n| Field::new(n, DataType::Float64, false)),
    );
    Schema::new(fields)
}

/// Days since 1970-01-01 (Parquet and Arrow `DATE`) of a calendar date.
pub fn days_since_epoch(date: Date) -> i32 {
    // Howard Hinnant's days_from_civil, in a 400-year era starting on 1 March.
    let month = i64::from(date.month);
    let year = i64::from(date.year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year =
        (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // A u16 year keeps the result far inside i32.
    (era * 146_097 + day_of_era - 719_468) as i32
}

/// The calendar date `YYYY-MM-DD` of a day count since 1970-01-01 (the inverse of
/// [`days_since_epoch`]), as Hive parses DATE values in text tables.
pub fn iso_date(days: i32) -> String {
    // Howard Hinnant's civil_from_days.
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn strings<'a, T: Iterator<Item = Option<&'a str>>>(values: T) -> ArrayRef {
    let mut builder = StringBuilder::new();
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

fn ints<T: Iterator<Item = i32>>(values: T) -> ArrayRef {
    let mut builder = Int32Builder::new();
    values.for_each(|v| builder.append_value(v));
    Arc::new(builder.finish())
}

fn floats<T: Iterator<Item = Option<f64>>>(values: T) -> ArrayRef {
    let mut builder = Float64Builder::new();
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

fn dates<T: Iterator<Item = Option<i32>>>(values: T) -> ArrayRef {
    let mut builder = Date32Builder::new();
    values.for_each(|v| builder.append_option(v));
    Arc::new(builder.finish())
}

impl Row for ScanRow {
    fn columns(rows: &[Self], _schema: &Schema) -> Vec<ArrayRef> {
        let text = |f: fn(&Self) -> Option<&str>| strings(rows.iter().map(f));
        vec![
            text(|r| Some(&r.image_path)),
            text(|r| r.patient_id.as_deref()),
            text(|r| r.study_instance_uid.as_deref()),
            text(|r| r.series_instance_uid.as_deref()),
            text(|r| r.sop_instance_uid.as_deref()),
            text(|r| r.sop_class_uid.as_deref()),
            text(|r| r.modality.as_deref()),
            dates(rows.iter().map(|r| r.scan_date)),
            dates(rows.iter().map(|r| r.acquisition_date)),
            ints(rows.iter().map(|r| r.rows)),
            ints(rows.iter().map(|r| r.cols)),
            ints(rows.iter().map(|r| r.frames)),
            ints(rows.iter().map(|r| r.bits_stored)),
            text(|r| r.photometric_interpretation.as_deref()),
            text(|r| Some(&r.transfer_syntax)),
            floats(rows.iter().map(|r| r.pixel_spacing_row)),
            floats(rows.iter().map(|r| r.pixel_spacing_col)),
            floats(rows.iter().map(|r| r.slice_thickness)),
            text(|r| Some(&r.recipe)),
        ]
    }

    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>> {
        let columns = Columns::new(batch, &scans_schema())?;
        (0..batch.num_rows())
            .map(|i| {
                Ok(Self {
                    image_path: columns.required_text(0, i)?,
                    patient_id: columns.text(1, i)?,
                    study_instance_uid: columns.text(2, i)?,
                    series_instance_uid: columns.text(3, i)?,
                    sop_instance_uid: columns.text(4, i)?,
                    sop_class_uid: columns.text(5, i)?,
                    modality: columns.text(6, i)?,
                    scan_date: columns.date(7, i)?,
                    acquisition_date: columns.date(8, i)?,
                    rows: columns.int(9, i)?,
                    cols: columns.int(10, i)?,
                    frames: columns.int(11, i)?,
                    bits_stored: columns.int(12, i)?,
                    photometric_interpretation: columns.text(13, i)?,
                    transfer_syntax: columns.required_text(14, i)?,
                    pixel_spacing_row: columns.float(15, i)?,
                    pixel_spacing_col: columns.float(16, i)?,
                    slice_thickness: columns.float(17, i)?,
                    recipe: columns.required_text(18, i)?,
                })
            })
            .collect()
    }
}

impl Row for FeatureRow {
    fn columns(rows: &[Self], schema: &Schema) -> Vec<ArrayRef> {
        let text = |f: fn(&Self) -> Option<&str>| strings(rows.iter().map(f));
        let mut columns = vec![
            text(|r| r.sop_instance_uid.as_deref()),
            text(|r| r.patient_id.as_deref()),
            text(|r| Some(&r.image_path)),
            ints(rows.iter().map(|r| r.frame)),
        ];
        let features = schema.fields().len().saturating_sub(FEATURE_KEY_COLUMNS);
        columns.extend((0..features).map(|k| {
            // A short row would be a bug of the caller; NaN keeps the column length right.
            floats(
                rows.iter()
                    .map(|r| Some(r.features.get(k).copied().unwrap_or(f64::NAN))),
            )
        }));
        columns
    }

    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>> {
        let schema = batch.schema();
        let names: Vec<String> = schema
            .fields()
            .iter()
            .skip(FEATURE_KEY_COLUMNS)
            .map(|f| f.name().clone())
            .collect();
        let columns = Columns::new(batch, &features_schema(&names))?;
        (0..batch.num_rows())
            .map(|i| {
                let features = (FEATURE_KEY_COLUMNS..FEATURE_KEY_COLUMNS + names.len())
                    .map(|c| Ok(columns.float(c, i)?.unwrap_or(f64::NAN)))
                    .collect::<Result<Vec<f64>>>()?;
                Ok(Self {
                    sop_instance_uid: columns.text(0, i)?,
                    patient_id: columns.text(1, i)?,
                    image_path: columns.required_text(2, i)?,
                    frame: columns.int(3, i)?,
                    features,
                })
            })
            .collect()
    }
}

/// Typed access to the columns of a batch that has been checked against a schema.
struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn new(batch: &'a RecordBatch, expected: &Schema) -> Result<Self> {
        let schema = batch.schema();
        let found: Vec<(&String, &DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name(), f.data_type()))
            .collect();
        let wanted: Vec<(&String, &DataType)> = expected
            .fields()
            .iter()
            .map(|f| (f.name(), f.data_type()))
            .collect();
        if found != wanted {
            bail!("the table's columns are not the ones medprep writes");
        }
        Ok(Self { batch })
    }

    fn typed<T: 'static>(&self, column: usize) -> Result<&'a T> {
        self.batch
            .column(column)
            .as_any()
            .downcast_ref::<T>()
            .context("unexpected column type")
    }

    fn text(&self, column: usize, row: usize) -> Result<Option<String>> {
        let array = self.typed::<StringArray>(column)?;
        Ok(array.is_valid(row).then(|| array.value(row).to_owned()))
    }

    fn required_text(&self, column: usize, row: usize) -> Result<String> {
        self.text(column, row)?.context("null in a required column")
    }

    fn int(&self, column: usize, row: usize) -> Result<i32> {
        let array = self.typed::<Int32Array>(column)?;
        if !array.is_valid(row) {
            bail!("null in a required column");
        }
        Ok(array.value(row))
    }

    fn float(&self, column: usize, row: usize) -> Result<Option<f64>> {
        let array = self.typed::<Float64Array>(column)?;
        Ok(array.is_valid(row).then(|| array.value(row)))
    }

    fn date(&self, column: usize, row: usize) -> Result<Option<i32>> {
        let array = self.typed::<Date32Array>(column)?;
        Ok(array.is_valid(row).then(|| array.value(row)))
    }
}

/// Writes one table to `PATH.partial`; [`TableWriter::finish`] renames it to `PATH`.
pub struct TableWriter<R: Row> {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<File>,
    pending: Vec<R>,
    rows: usize,
}

impl<R: Row> std::fmt::Debug for TableWriter<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("path", &self.path)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<R: Row> TableWriter<R> {
    /// Starts a table with `schema`; `metadata` becomes the file's key-value metadata.
    pub fn create(path: &Path, schema: Schema, metadata: Vec<(String, String)>) -> Result<Self> {
        let schema = Arc::new(schema);
        let partial = super::partial_path(path);
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let metadata = metadata
            .into_iter()
            .map(|(k, v)| KeyValue::new(k, v))
            .collect();
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            // Small pages are compressed and set aside as they fill, so an open row group
            // holds compressed values rather than one growing buffer per column.
            .set_data_page_row_count_limit(PAGE_ROWS)
            .set_write_batch_size(PAGE_ROWS)
            .set_key_value_metadata(Some(metadata))
            // Measured values are nearly all distinct: a dictionary per float column
            // costs memory and time for nothing. Identifiers repeat, so they keep one.
            .set_dictionary_enabled(false);
        for field in schema
            .fields()
            .iter()
            .filter(|f| f.data_type() == &DataType::Utf8)
        {
            properties = properties
                .set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), true);
        }
        let properties = properties.build();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
            .with_context(|| format!("cannot start {}", partial.display()))?;
        Ok(Self {
            path: path.to_owned(),
            schema,
            writer,
            pending: Vec::with_capacity(BATCH_ROWS),
            rows: 0,
        })
    }

    /// Adds a row; every [`BATCH_ROWS`] rows are encoded.
    pub fn push(&mut self, row: R) -> Result<()> {
        self.pending.push(row);
        self.rows += 1;
        if self.pending.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// The table's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let columns = R::columns(&self.pending, &self.schema);
        let batch =
            RecordBatch::try_new(self.schema.clone(), columns).context("building a row group")?;
        // The writer closes a row group by itself every ROW_GROUP_ROWS rows.
        self.writer
            .write(&batch)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.pending.clear();
        Ok(())
    }

    /// Writes the remaining rows and the footer, then renames the file into place.
    pub fn finish(mut self) -> Result<usize> {
        self.flush()?;
        self.writer
            .close()
            .with_context(|| format!("cannot finish {}", self.path.display()))?;
        super::finish(&self.path)?;
        Ok(self.rows)
    }
}

/// Streams the rows of a table written by [`TableWriter`], one batch at a time.
pub struct TableReader<R: Row> {
    batches: ParquetRecordBatchReader,
    buffered: VecDeque<R>,
    path: PathBuf,
    _row: PhantomData<R>,
}

impl<R: Row> std::fmt::Debug for TableReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<R: Row> TableReader<R> {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let batches = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(ROW_GROUP_ROWS).build())
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Self {
            batches,
            buffered: VecDeque::new(),
            path: path.to_owned(),
            _row: PhantomData,
        })
    }

    /// The next row, or `None` at the end of the table.
    pub fn next_row(&mut self) -> Result<Option<R>> {
        while self.buffered.is_empty() {
            let Some(batch) = self.batches.next() else {
                return Ok(None);
            };
            let batch = batch.with_context(|| format!("cannot read {}", self.path.display()))?;
            let rows = R::from_batch(&batch).with_context(|| format!("{}", self.path.display()))?;
            self.buffered.extend(rows);
        }
        Ok(self.buffered.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("medprep-parquet-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create folder");
        dir
    }

    fn scan(i: usize) -> ScanRow {
        ScanRow {
            image_path: format!("in/{i:05}.dcm"),
            patient_id: (!i.is_multiple_of(3)).then(|| format!("P{i}")),
            study_instance_uid: Some("1.2.3".into()),
            series_instance_uid: None,
            sop_instance_uid: Some(format!("1.2.3.{i}")),
            sop_class_uid: Some("1.2.840.10008.5.1.4.1.1.2".into()),
            modality: Some("CT".into()),
            scan_date: i.is_multiple_of(2).then_some(19_724),
            acquisition_date: None,
            rows: 512,
            cols: 512,
            frames: 1,
            bits_stored: 12,
            photometric_interpretation: Some("MONOCHROME2".into()),
            transfer_syntax: "1.2.840.10008.1.2.1".into(),
            pixel_spacing_row: Some(0.7),
            pixel_spacing_col: (!i.is_multiple_of(5)).then_some(0.7),
            slice_thickness: None,
            recipe: "plain".into(),
        }
    }

    #[test]
    fn dates_count_days_from_1970() {
        let d = |year, month, day| days_since_epoch(Date { year, month, day });
        assert_eq!(d(1970, 1, 1), 0);
        assert_eq!(d(1969, 12, 31), -1);
        assert_eq!(d(2000, 3, 1), 11_017);
        // 2024-01-02, the fixtures' study date (Python: date(2024,1,2) - date(1970,1,1)).
        assert_eq!(d(2024, 1, 2), 19_724);
        assert_eq!(d(2024, 2, 29) - d(2024, 2, 28), 1);
        assert_eq!(d(1900, 3, 1) - d(1900, 2, 28), 1);
    }

    #[test]
    fn iso_dates_invert_day_counts() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(-1), "1969-12-31");
        assert_eq!(iso_date(19_724), "2024-01-02");
        // Every day of four centuries, leap rules included, round-trips.
        let start = days_since_epoch(Date {
            year: 1800,
            month: 1,
            day: 1,
        });
        for days in start..start + 146_097 {
            let text = iso_date(days);
            let number = |r: std::ops::Range<usize>| text[r].parse::<u16>().expect("number");
            let date = Date {
                year: number(0..4),
                month: u8::try_from(number(5..7)).expect("month"),
                day: u8::try_from(number(8..10)).expect("day"),
            };
            assert_eq!(days_since_epoch(date), days, "{text}");
        }
    }

    #[test]
    fn scans_round_trip_across_row_groups() {
        let dir = scratch("scans");
        let path = dir.join("scans.parquet");
        let rows: Vec<ScanRow> = (0..2500).map(scan).collect();
        let mut writer = TableWriter::create(&path, scans_schema(), vec![("k".into(), "v".into())])
            .expect("create");
        for row in &rows {
            writer.push(row.clone()).expect("push row");
        }
        assert!(!path.exists());
        assert_eq!(writer.finish().expect("finish"), 2500);

        let file = File::open(&path).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("readable Parquet");
        assert_eq!(builder.metadata().file_metadata().num_rows(), 2500);
        let groups: Vec<i64> = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        assert_eq!(groups, vec![1024, 1024, 452]);
        let schema = builder.schema();
        assert_eq!(
            schema
                .field_with_name("scan_date")
                .expect("field present")
                .data_type(),
            &DataType::Date32
        );

        let mut reader = TableReader::<ScanRow>::open(&path).expect("open");
        for row in &rows {
            assert_eq!(reader.next_row().expect("readable row").as_ref(), Some(row));
        }
        assert_eq!(reader.next_row().expect("readable row"), None);
        std::fs::remove_dir_all(&dir).expect("remove folder");
    }

    #[test]
    fn feature_rows_round_trip_and_bytes_depend_only_on_rows() {
        let dir = scratch("features");
        let names: Vec<String> = vec!["original_mean".into(), "original_p90".into()];
        let rows: Vec<FeatureRow> = (0..1500)
            .map(|i| FeatureRow {
                sop_instance_uid: Some(format!("1.2.{i}")),
                patient_id: None,
                image_path: format!("f{i}.dcm"),
                frame: i % 4,
                features: vec![i as f64 * 0.5, if i == 7 { f64::NAN } else { -1.0 }],
            })
            .collect();
        let write = |name: &str| {
            let path = dir.join(name);
            let mut writer =
                TableWriter::create(&path, features_schema(&names), Vec::new()).expect("create");
            for row in &rows {
                writer.push(row.clone()).expect("push row");
            }
            writer.finish().expect("finish");
            path
        };
        let a = write("a.parquet");
        let b = write("b.parquet");
        assert_eq!(
            std::fs::read(&a).expect("read file"),
            std::fs::read(&b).expect("read file")
        );
        let mut reader = TableReader::<FeatureRow>::open(&a).expect("open");
        for expected in &rows {
            let row = reader
                .next_row()
                .expect("readable row")
                .expect("a row per written row");
            assert_eq!(row.image_path, expected.image_path);
            assert_eq!(row.frame, expected.frame);
            assert_eq!(row.features[0], expected.features[0]);
            assert_eq!(row.features[1].to_bits(), expected.features[1].to_bits());
        }
        assert!(reader.next_row().expect("readable row").is_none());
        // A scans reader refuses a features table instead of misreading it.
        assert!(TableReader::<ScanRow>::open(&a)
            .expect("open")
            .next_row()
            .is_err());
        std::fs::remove_dir_all(&dir).expect("remove folder");
    }
}
