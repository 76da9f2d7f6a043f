//! Optional side outputs of a map task, beside its rows on stdout: per-task Parquet
//! tables (`_medprep/scans/` and `_medprep/features/`, the same tables as
//! `medprep run`'s) and the recipe's preprocessed images (`_medprep/preprocessed/`).
//! Hadoop and Hive skip names starting with `_` when they read a folder, so a text table
//! over the job output still sees only the rows.
//!
//! They go under the task attempt's work folder (`$mapreduce_task_output_dir`), which
//! Hadoop's output committer moves into the job output only when the attempt succeeds,
//! so retried and speculative attempts leave no duplicates. Files are named after the
//! task (`part-<task id>.parquet`) and written as `.partial` files renamed when complete.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use medprep_runner::tables::{arrow, FeatureRow, ScanRow};
use medprep_runner::FrameOut;

use crate::names::Namer;
use crate::sinks::parquet::TableWriter;
use crate::sinks::{safe_file_name, write_atomically};

/// What one ok record adds to the side outputs.
#[derive(Debug)]
pub struct SideRows {
    /// The image's metadata row.
    pub scan: Box<ScanRow>,
    /// Per frame: index, features, encoded image (when images are written).
    pub frames: Vec<FrameOut>,
    /// Stem for image names.
    pub stem: String,
    /// Whether the image has several frames.
    pub multi_frame: bool,
}

/// The folder, under the side-output folder, that holds the side outputs.
pub const FOLDER: &str = "_medprep";

/// The open side outputs of one task.
pub struct SideOutputs {
    tables: Option<(TableWriter<ScanRow>, TableWriter<FeatureRow>)>,
    images: Option<(PathBuf, &'static str)>,
    namer: Namer,
}

impl SideOutputs {
    /// Opens the side outputs under `dir` for task `task`: Parquet tables when `parquet`,
    /// image files with `extension` when given.
    pub fn create(
        dir: &Path,
        task: &str,
        parquet: bool,
        extension: Option<&'static str>,
        feature_names: &[String],
        recipe_toml: &str,
    ) -> Result<Self> {
        let file = format!("part-{}.parquet", safe_file_name(task));
        let folder = |name: &str| -> Result<PathBuf> {
            let path = dir.join(FOLDER).join(name);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Ok(path)
        };
        let metadata = vec![
            (
                "medprep.version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
            ("medprep.recipe".to_owned(), recipe_toml.to_owned()),
        ];
        let tables = if parquet {
            Some((
                TableWriter::create(
                    &folder("scans")?.join(&file),
                    arrow::schema(&ScanRow::specs()),
                    metadata.clone(),
                )?,
                TableWriter::create(
                    &folder("features")?.join(&file),
                    arrow::schema(&FeatureRow::specs(feature_names)),
                    metadata,
                )?,
            ))
        } else {
            None
        };
        let images = match extension {
            Some(extension) => Some((folder("preprocessed")?, extension)),
            None => None,
        };
        Ok(Self {
            tables,
            images,
            namer: Namer::default(),
        })
    }

    /// Writes the side outputs of one ok record.
    pub fn write(&mut self, rows: SideRows) -> Result<()> {
        if let Some((dir, extension)) = &self.images {
            let with_image: Vec<_> = rows.frames.iter().filter(|f| f.image.is_some()).collect();
            let indices: Vec<u32> = with_image.iter().map(|f| f.frame).collect();
            let names = self
                .namer
                .allocate(&rows.stem, &indices, rows.multi_frame, extension);
            for (frame, name) in with_image.into_iter().zip(&names) {
                if let Some(bytes) = &frame.image {
                    write_atomically(&dir.join(name), bytes)?;
                }
            }
        }
        if let Some((scans, features)) = &mut self.tables {
            for frame in rows.frames {
                features.push(FeatureRow::of(&rows.scan, frame))?;
            }
            scans.push(*rows.scan)?;
        }
        Ok(())
    }

    /// Completes the Parquet files.
    pub fn finish(self) -> Result<()> {
        if let Some((scans, features)) = self.tables {
            scans.finish()?;
            features.finish()?;
        }
        Ok(())
    }
}
