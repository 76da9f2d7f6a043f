//! The tables of a batch run as Parquet files (Snappy), written and read row by row
//! with bounded memory. What the tables hold is described once in
//! [`medprep_runner::tables`]; this module only stores their record batches.
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

use anyhow::{Context, Result};
use arrow_schema::{DataType, Schema, SchemaRef};
use medprep_runner::tables::arrow::{self, Row};
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
        let batch = arrow::record_batch(&self.pending, &self.schema)?;
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
            let rows =
                arrow::rows::<R>(&batch).with_context(|| format!("{}", self.path.display()))?;
            self.buffered.extend(rows);
        }
        Ok(self.buffered.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medprep_runner::tables::{Days, FeatureRow, ScanRow};

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
            scan_date: i.is_multiple_of(2).then_some(Days(19_724)),
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
    fn scans_round_trip_across_row_groups() {
        let dir = scratch("scans");
        let path = dir.join("scans.parquet");
        let rows: Vec<ScanRow> = (0..2500).map(scan).collect();
        let mut writer = TableWriter::create(
            &path,
            arrow::schema(&ScanRow::specs()),
            vec![("k".into(), "v".into())],
        )
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
                features: vec![f64::from(i) * 0.5, if i == 7 { f64::NAN } else { -1.0 }],
            })
            .collect();
        let write = |name: &str| {
            let path = dir.join(name);
            let mut writer =
                TableWriter::create(&path, arrow::schema(&FeatureRow::specs(&names)), Vec::new())
                    .expect("create");
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
