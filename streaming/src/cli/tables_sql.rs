//! `medprep tables-sql`: Hive DDL for the Parquet tables of `medprep run`, named as in a
//! cluster deployment (`mri_scans`, `image_features`) and located where they are kept.

use std::process::ExitCode;

use anyhow::Result;
use medprep::{Pipeline, Recipe};

use medprep_runner::tables::hive::{create_table, Storage};
use medprep_runner::tables::{FeatureRow, ScanRow};

use super::usage;

/// Print Hive `CREATE EXTERNAL TABLE` statements for `scans.parquet` and
/// `features.parquet` (as written by `medprep run` with the same recipe).
///
/// Each table reads every Parquet file under its LOCATION, so copy the files of each
/// run there, e.g.
/// `hdfs dfs -put out/scans.parquet /medical_data/features/mri_scans/run1.parquet`.
/// Dates are DATE columns, which every Hive version reads from Parquet.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Preset name or recipe file: its features are the columns of the features table.
    #[arg(long, short, default_value = "ct-standard")]
    recipe: String,
    /// Folder holding one folder per table.
    #[arg(long, default_value = "/medical_data/features")]
    location: String,
    /// Name of the metadata table (optionally `database.table`).
    #[arg(long, default_value = "mri_scans")]
    scans_table: String,
    /// Name of the features table (optionally `database.table`).
    #[arg(long, default_value = "image_features")]
    features_table: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let recipe = Recipe::preset_or_path(&args.recipe).map_err(usage)?;
    let pipeline = Pipeline::new(recipe).map_err(usage)?;
    let base = args.location.trim_end_matches('/');
    let table_folder = |table: &str| {
        let name = table.rsplit('.').next().unwrap_or(table);
        format!("{base}/{name}")
    };
    let mut sql = format!(
        "-- Hive tables over the Parquet output of `medprep run` (recipe {:?}).\n\n",
        pipeline.recipe().name
    );
    sql.push_str(
        &create_table(
            &args.scans_table,
            &ScanRow::specs(),
            Storage::Parquet,
            &table_folder(&args.scans_table),
        )
        .map_err(usage)?,
    );
    sql.push('\n');
    sql.push_str(
        &create_table(
            &args.features_table,
            &FeatureRow::specs(pipeline.feature_names()),
            Storage::Parquet,
            &table_folder(&args.features_table),
        )
        .map_err(usage)?,
    );
    super::out(sql)?;
    Ok(ExitCode::SUCCESS)
}
