//! `medprep run` with a series-mode recipe: scans (DICOM series) and their ROIs (RTSTRUCT
//! or DICOM SEG) to one row per scan and one per (scan, ROI).
//!
//! The inputs' headers are read first and grouped into series; RTSTRUCT and SEG files are
//! set aside as masks ([`medprep::volume::series::group`]). Then one series at a time is
//! loaded and assembled into a volume, each ROI of the mask files that refer to it (by
//! series, else by frame of reference) is placed on its grid and measured
//! ([`medprep::volume::radiomics`]); memory holds one scan and its masks, whatever the
//! number of series (a segmentation's pixel data is read while its scan is measured,
//! then dropped). Everything that fails (an unreadable file, a broken series, a
//! series without a mask, an ROI that does not fit) becomes a record in `errors.jsonl`
//! and the rest goes on.
//!
//! Outputs in OUT: `scans.parquet` (the series table), `features.parquet` (one row per
//! scan and ROI, each feature field carrying its IBSI provenance as field metadata),
//! `montages/` (a PNG per scan: slices through its ROIs with their outlines, named in
//! the `montage` column of `scans`), `errors.jsonl` and `tables.sql`. Series mode
//! recomputes every input on each run.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, Context, Result};
use medprep::recipe::SeriesSettings;
use medprep::volume::mask_error::{MaskError, RoiSelector};
use medprep::volume::mask_file::{MaskFile, MaskRoi};
use medprep::volume::radiomics::{feature_columns, roi_features};
use medprep::volume::series::{self, Series};
use medprep::{DicomFile, Limits, Mask, Recipe};
use medprep_runner::montage::montage_png;
use medprep_runner::tables::{arrow, roi_features_schema, RoiFeatureRow, SeriesRow};

use super::{
    input_paths, list_paths, report_peak_memory, write_tables_sql, Args, ERRORS, FEATURES, SCANS,
};
use crate::cli::discover::discover;
use crate::cli::run::progress;
use crate::cli::usage;
use crate::names::Namer;
use crate::sinks;
use crate::sinks::errors::{ErrorRecord, ErrorsWriter};
use crate::sinks::parquet::TableWriter;

/// The folder of the scans' montages in OUT.
const MONTAGES: &str = "montages";

/// A mask file found among the inputs: its header, and the ROIs it holds.
struct MaskEntry {
    header: DicomFile,
    mask: MaskFile,
}

/// Runs `recipe` (series mode, `settings`) over the inputs of `args`.
pub(super) fn run(
    args: &Args,
    recipe: &Recipe,
    settings: &SeriesSettings,
    limits: Limits,
    started: Instant,
) -> Result<ExitCode> {
    if args.pseudonymize {
        return Err(usage(anyhow!(
            "--pseudonymize is not available in series mode yet; run series mode on \
             pseudonymised copies, or use a slice-mode recipe"
        )));
    }
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
    let mut failed = 0usize;
    let mut fail = |errors: &mut ErrorsWriter, image_path: &str, kind: &str, error: String| {
        failed += 1;
        errors.write(&ErrorRecord {
            image_path: image_path.to_owned(),
            kind: kind.to_owned(),
            error,
        })
    };

    let mut headers = Vec::with_capacity(found.files.len());
    for path in &found.files {
        match DicomFile::open_header(path) {
            Ok(file) => headers.push(file),
            Err(error) => fail(
                &mut errors,
                &path.display().to_string(),
                error.kind().label(),
                error.to_string(),
            )?,
        }
    }
    let grouping = series::group(headers);
    for (name, error) in &grouping.failures {
        fail(&mut errors, name, "series", error.to_string())?;
    }
    let mut mask_files = Vec::new();
    for header in grouping.masks {
        match MaskFile::read(&header) {
            Ok(mask) => mask_files.push(MaskEntry { header, mask }),
            Err(error) => fail(&mut errors, header.name(), "mask", error.to_string())?,
        }
    }

    if settings.montage {
        let dir = out.join(MONTAGES);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))
            .map_err(usage)?;
    }
    let mut namer = Namer::default();
    let bar = progress::bar(grouping.series.len(), args.quiet);
    let load = |name: &str| DicomFile::open_with_limits(name, &limits);
    let max_voxels = usize::try_from(limits.max_samples).unwrap_or(usize::MAX);
    let (mut scans_done, mut rois_done) = (0usize, 0usize);
    for group in &grouping.series {
        let first = group.names().first().cloned().unwrap_or_default();
        match series::assemble(group, &load, &limits) {
            Err(error) => fail(&mut errors, &first, "series", error.to_string())?,
            Ok(assembled) => {
                for scan in assembled {
                    let image_path = scan
                        .slices
                        .first()
                        .cloned()
                        .unwrap_or_else(|| first.clone());
                    let measured = measure(
                        &scan,
                        &image_path,
                        &mask_files,
                        settings,
                        &limits,
                        max_voxels,
                    );
                    for record in &measured.failures {
                        fail(
                            &mut errors,
                            &record.image_path,
                            &record.kind,
                            record.error.clone(),
                        )?;
                    }
                    for row in measured.rows {
                        features.push(row)?;
                        rois_done += 1;
                    }
                    let montage = if settings.montage {
                        let masks: Vec<&Mask> = measured.masks.iter().collect();
                        let base = scan.meta.series_instance_uid.as_deref().unwrap_or("series");
                        let name = namer
                            .allocate(base, &[0], false, "png")
                            .pop()
                            .unwrap_or_else(|| "series.png".into());
                        let bytes = montage_png(&scan.volume, &masks)?;
                        sinks::write_atomically(&out.join(MONTAGES).join(&name), &bytes)?;
                        Some(format!("{MONTAGES}/{name}"))
                    } else {
                        None
                    };
                    scans.push(SeriesRow::new(image_path, &scan, &recipe.name, montage))?;
                    scans_done += 1;
                }
            }
        }
        bar.inc(1);
    }
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

/// The mask files drawn on `scan`: those naming its series, else those sharing its
/// frame of reference.
fn masks_of<'a>(scan: &Series, files: &'a [MaskEntry]) -> Vec<&'a MaskEntry> {
    let series_uid = scan.meta.series_instance_uid.as_deref().map(str::trim);
    let by_series: Vec<_> = files
        .iter()
        .filter(|f| f.mask.referenced_series().map(str::trim) == series_uid && series_uid.is_some())
        .collect();
    if !by_series.is_empty() {
        return by_series;
    }
    let frame = scan.frame_of_reference.as_deref().map(str::trim);
    files
        .iter()
        .filter(|f| frame.is_some() && f.mask.frame_of_reference().map(str::trim) == frame)
        .collect()
}

/// The ROI the recipe names, or every ROI of the file.
fn choose_rois<'a>(
    mask: &'a MaskFile,
    wanted: Option<&str>,
) -> Result<Vec<MaskRoi<'a>>, MaskError> {
    match wanted {
        Some(text) => {
            let selector: RoiSelector = text.parse().unwrap_or_else(|e| match e {});
            Ok(vec![mask.roi(&selector)?])
        }
        None => Ok(mask.rois()),
    }
}

/// What became of one scan's ROIs.
struct Measured {
    rows: Vec<RoiFeatureRow>,
    failures: Vec<ErrorRecord>,
    /// The rasterised ROIs, for the montage.
    masks: Vec<Mask>,
}

/// Places and measures every chosen ROI of the mask files drawn on `scan`.
fn measure(
    scan: &Series,
    image_path: &str,
    files: &[MaskEntry],
    settings: &SeriesSettings,
    limits: &Limits,
    max_voxels: usize,
) -> Measured {
    let mut out = Measured {
        rows: Vec::new(),
        failures: Vec::new(),
        masks: Vec::new(),
    };
    let record = |image_path: &str, kind: &str, error: String| ErrorRecord {
        image_path: image_path.to_owned(),
        kind: kind.to_owned(),
        error,
    };
    let masks = masks_of(scan, files);
    if masks.is_empty() {
        out.failures.push(record(
            image_path,
            "no_mask",
            "no RTSTRUCT or SEG among the inputs refers to this series (by series or frame \
             of reference); add its mask file to the inputs"
                .into(),
        ));
    }
    let int = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    for entry in masks {
        let name = entry.header.name();
        let rois = match choose_rois(&entry.mask, settings.roi.as_deref()) {
            Ok(rois) => rois,
            Err(error) => {
                out.failures.push(record(name, "mask", error.to_string()));
                continue;
            }
        };
        let whole;
        let file = if entry.mask.needs_pixels() {
            match DicomFile::open_with_limits(name, limits) {
                Ok(opened) => {
                    whole = opened;
                    &whole
                }
                Err(error) => {
                    out.failures
                        .push(record(name, error.kind().label(), error.to_string()));
                    continue;
                }
            }
        } else {
            &entry.header
        };
        for roi in rois {
            let mask = match roi.rasterise(file, &scan.volume.grid, limits) {
                Ok(mask) => mask,
                Err(error) => {
                    out.failures.push(record(
                        name,
                        "mask",
                        format!("ROI {:?} on {image_path}: {error}", roi.name()),
                    ));
                    continue;
                }
            };
            match roi_features(&scan.volume, &mask, settings, max_voxels) {
                Ok(measured) => out.rows.push(RoiFeatureRow {
                    patient_id: scan.meta.patient_id.clone(),
                    series_instance_uid: scan.meta.series_instance_uid.clone(),
                    image_path: image_path.to_owned(),
                    temporal_position: scan
                        .info
                        .temporal_position
                        .map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
                    roi: roi.name().to_owned(),
                    roi_number: i32::try_from(roi.number()).unwrap_or(i32::MAX),
                    roi_voxels: int(measured.morphological_voxels),
                    intensity_voxels: int(measured.intensity_voxels),
                    features: measured.values,
                }),
                Err(error) => out.failures.push(record(
                    name,
                    "features",
                    format!("ROI {:?} on {image_path}: {error}", roi.name()),
                )),
            }
            out.masks.push(mask);
        }
    }
    out
}
