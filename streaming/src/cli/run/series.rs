//! `medprep run` with a series-mode recipe: scans (DICOM series) and their ROIs (RTSTRUCT
//! or DICOM SEG) to one row per scan and one per (scan, ROI).
//!
//! The runner's series mode ([`medprep_runner::series`]) groups the inputs, matches masks
//! to scans and measures one scan at a time; this module writes what it reports. Every
//! failure (an unreadable file, a broken series, a series without a mask, an ROI that
//! does not fit) becomes a record in `errors.jsonl` and the rest goes on.
//!
//! Outputs in OUT: `scans.parquet` (the series table), `features.parquet` (one row per
//! scan and ROI, each feature field carrying its IBSI provenance as field metadata),
//! `montages/` (a PNG per scan: slices through its ROIs with their outlines, named in
//! the `montage` column of `scans`), with `[series] volumes` `volumes/` (the processed
//! scan, `<stem>.nii.gz`, in the `volume` column, and each ROI's mask on it,
//! `<stem>_roi<number>.nii.gz`, in the features' `mask` column), `errors.jsonl` and
//! `tables.sql`. With `--pseudonymize` the patient ID and the study, series and frame of
//! reference UIDs of both tables are pseudonyms, and so are the file names made of them. Series mode
//! recomputes every input on each run.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use medprep::recipe::SeriesSettings;
use medprep::volume::nifti::{write_nifti, write_nifti_mask};
use medprep::volume::radiomics::feature_columns;
use medprep::{Limits, Mask, Recipe};
use medprep_runner::montage::montage_png;
use medprep_runner::tables::{arrow, roi_features_schema, RoiFeatureRow, SeriesRow};
use medprep_runner::{SeriesEvent, SeriesInputs};

use super::{
    input_paths, list_paths, report_peak_memory, write_tables_sql, Args, ERRORS, FEATURES, SCANS,
};
use crate::cli::run::progress;
use crate::cli::usage;
use crate::names::Namer;
use crate::pseudonym::Pseudonymizer;
use crate::sinks;
use crate::sinks::errors::{ErrorRecord, ErrorsWriter};
use crate::sinks::parquet::TableWriter;
use medprep_runner::discover::discover;

/// The folder of the scans' montages in OUT.
const MONTAGES: &str = "montages";

/// The folder of the processed scans and their ROI masks (NIfTI) in OUT.
const VOLUMES: &str = "volumes";

/// Runs `recipe` (series mode, `settings`) over the inputs of `args`.
pub(super) fn run(
    args: &Args,
    recipe: &Recipe,
    settings: &SeriesSettings,
    limits: Limits,
    started: Instant,
) -> Result<ExitCode> {
    let pseudonyms =
        Pseudonymizer::from_options(args.pseudonymize, args.pseudonym_key_file.as_deref())
            .map_err(usage)?;
    let inputs = input_paths(args)?;
    let found = discover(&inputs).map_err(usage)?;
    if found.files.is_empty() {
        return Err(usage(anyhow!(
            "no DICOM files found in {} ({} other file(s) skipped)",
            list_paths(&inputs),
            found.skipped
        )));
    }
    let out = args.out.as_path();
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output folder {}", out.display()))
        .map_err(usage)?;
    // A slice-mode manifest would describe tables this run replaces.
    let _ = std::fs::remove_file(out.join(super::manifest::FILE_NAME));

    let columns = feature_columns(settings);
    let metadata = vec![
        (
            "medprep.version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        ),
        ("medprep.recipe".to_owned(), recipe.to_toml()),
    ];
    let mut scans = TableWriter::<SeriesRow>::create(
        &out.join(SCANS),
        arrow::schema(&SeriesRow::specs()),
        metadata.clone(),
    )
    .map_err(usage)?;
    let mut features = TableWriter::<RoiFeatureRow>::create(
        &out.join(FEATURES),
        roi_features_schema(&columns),
        metadata,
    )
    .map_err(usage)?;
    let mut errors = ErrorsWriter::create(&out.join(ERRORS)).map_err(usage)?;
    let inputs = SeriesInputs::open(&found.files);
    for (wanted, folder) in [(settings.montage, MONTAGES), (settings.volumes, VOLUMES)] {
        if wanted {
            let dir = out.join(folder);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))
                .map_err(usage)?;
        }
    }
    let mut namer = Namer::default();
    let bar = progress::bar(inputs.groups(), args.quiet);
    let (mut scans_done, mut rois_done, mut failed) = (0usize, 0usize, 0usize);
    inputs.run(settings, &limits, |event| {
        match event {
            SeriesEvent::Failure(failure) => {
                failed += 1;
                errors.write(&ErrorRecord {
                    image_path: failure.image_path,
                    kind: failure.kind,
                    error: failure.error,
                })?;
            }
            SeriesEvent::Scan(done) => {
                let done = *done;
                let mut row = SeriesRow::new(done.image_path, &done.scan, &recipe.name, None, None);
                let mut rows = done.features;
                if let Some(pseudonyms) = &pseudonyms {
                    pseudonyms.series_row(&mut row);
                    rows.iter_mut().for_each(|r| pseudonyms.roi_row(r));
                }
                // One stem per scan names its montage and its volumes: the Series
                // Instance UID (its pseudonym with --pseudonymize), sanitised and made
                // unique.
                let base = row.series_instance_uid.as_deref().unwrap_or("series");
                let stem = namer.allocate(base, &[0], false, "png").pop().map_or_else(
                    || "series".to_owned(),
                    |n| n.trim_end_matches(".png").to_owned(),
                );
                let montage = if settings.montage {
                    let masks: Vec<&Mask> = done.masks.iter().collect();
                    let name = format!("{MONTAGES}/{stem}.png");
                    let bytes = montage_png(&done.scan.volume, &masks)?;
                    sinks::write_atomically(&out.join(&name), &bytes)?;
                    Some(name)
                } else {
                    None
                };
                let volume = match (&done.processed, settings.volumes) {
                    (Some(processed), true) => {
                        let name = format!("{VOLUMES}/{stem}.nii.gz");
                        write_nifti(processed, out.join(&name))
                            .with_context(|| format!("cannot write {name}"))?;
                        for (row, mask) in rows.iter_mut().zip(&done.measured_masks) {
                            let mask_name =
                                format!("{VOLUMES}/{stem}_roi{}.nii.gz", row.roi_number);
                            write_nifti_mask(mask, out.join(&mask_name))
                                .with_context(|| format!("cannot write {mask_name}"))?;
                            row.mask = Some(mask_name);
                        }
                        Some(name)
                    }
                    _ => None,
                };
                rois_done += rows.len();
                for row in rows {
                    features.push(row)?;
                }
                row.montage = montage;
                row.volume = volume;
                scans.push(row)?;
                scans_done += 1;
            }
            SeriesEvent::GroupDone => bar.inc(1),
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    scans.finish()?;
    features.finish()?;
    errors.finish()?;
    let prefix = args.table_prefix.as_deref().unwrap_or_default();
    write_tables_sql(
        out,
        &recipe.name,
        [
            (&format!("{prefix}scans"), SeriesRow::specs(), SCANS),
            (
                &format!("{prefix}features"),
                RoiFeatureRow::specs(&columns),
                FEATURES,
            ),
        ],
    )?;
    let errors_note = if failed > 0 {
        format!("; errors in {}", out.join(ERRORS).display())
    } else {
        String::new()
    };
    eprintln!(
        "medprep run: {scans_done} scans, {rois_done} ROIs measured, {failed} failed, {} skipped \
         (not DICOM); outputs in {}{errors_note}",
        found.skipped,
        out.display()
    );
    report_peak_memory(started);
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
