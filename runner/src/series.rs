//! Series mode under every adapter: input files grouped into scans, the mask files that
//! refer to each scan matched to it, and each scan assembled and measured, one at a
//! time, so memory holds one scan and its masks whatever the number of series.
//!
//! [`SeriesInputs::open`] reads the headers of every input (no pixel data): images are
//! grouped into series and RTSTRUCT and SEG files set aside as masks
//! ([`medprep::volume::series::group`], [`MaskFile`]). [`SeriesInputs::run`] then loads
//! one series at a time, places each chosen ROI of the mask files drawn on it (those
//! naming its series, else those naming none that share its frame of reference) on its
//! grid and
//! measures it ([`medprep::volume::radiomics`]). A segmentation's pixel data is read
//! while its scan is measured, then dropped. Everything that fails (an unreadable file,
//! a broken series, a scan no mask refers to, an ROI that does not fit) is a
//! [`SeriesFailure`], and the rest goes on; the adapter decides where the outputs and
//! the failures go (`medprep run`: Parquet tables, montages and `errors.jsonl`; Python:
//! Arrow tables and a list).

use std::path::PathBuf;

use anyhow::Result;
use medprep::recipe::SeriesSettings;
use medprep::volume::mask_error::{MaskError, RoiSelector};
use medprep::volume::mask_file::{MaskFile, MaskRoi};
use medprep::volume::radiomics::{measure, processed_image, processed_mask};
use medprep::volume::series::{self, Series, SeriesGroup};
use medprep::{DicomFile, Limits, Mask, Volume};

use crate::tables::RoiFeatureRow;

/// One input or ROI that failed, in the shape of an `errors.jsonl` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesFailure {
    /// The file the failure is about: an input, a scan's first slice, a mask file.
    pub image_path: String,
    /// A stable snake_case label: an error kind of the core, `series`, `mask`,
    /// `no_mask` or `features`.
    pub kind: String,
    /// What went wrong, free of header values.
    pub error: String,
}

impl SeriesFailure {
    fn new(image_path: &str, kind: &str, error: String) -> Self {
        Self {
            image_path: image_path.to_owned(),
            kind: kind.to_owned(),
            error,
        }
    }
}

/// One assembled scan and what was measured on it.
#[derive(Debug)]
pub struct ScanOut {
    /// The scan's name: its first slice file.
    pub image_path: String,
    /// The scan itself.
    pub scan: Series,
    /// The scan as measured: resampled and rounded as the settings say; None when no
    /// mask refers to it.
    pub processed: Option<Volume>,
    /// One row per ROI measured, in mask file and ROI order.
    pub features: Vec<RoiFeatureRow>,
    /// The ROIs as placed on the scan's grid, for pictures of it.
    pub masks: Vec<Mask>,
    /// The morphological masks of the rows of `features`, in the same order, on the
    /// grid of `processed`.
    pub measured_masks: Vec<Mask>,
}

/// What [`SeriesInputs::run`] reports, in order.
#[derive(Debug)]
pub enum SeriesEvent {
    /// A scan was assembled; its ROIs' failures were reported just before.
    Scan(Box<ScanOut>),
    /// A series, a mask or an ROI failed.
    Failure(SeriesFailure),
    /// One group of files is done (it gave zero, one or several scans): for progress.
    GroupDone,
}

/// A mask file found among the inputs: its header, and the ROIs it holds.
#[derive(Debug)]
struct MaskEntry {
    header: DicomFile,
    mask: MaskFile,
}

/// The inputs of a series-mode run, read as headers and sorted into scans and masks.
#[derive(Debug)]
pub struct SeriesInputs {
    groups: Vec<SeriesGroup>,
    masks: Vec<MaskEntry>,
    failures: Vec<SeriesFailure>,
}

impl SeriesInputs {
    /// Reads the header of every file of `paths` and sorts them into series and mask
    /// files; what cannot be read or used is kept for [`SeriesInputs::run`] to report.
    pub fn open(paths: &[PathBuf]) -> Self {
        let mut failures = Vec::new();
        let mut headers = Vec::with_capacity(paths.len());
        for path in paths {
            match DicomFile::open_header(path) {
                Ok(file) => headers.push(file),
                Err(error) => failures.push(SeriesFailure::new(
                    &path.display().to_string(),
                    error.kind().label(),
                    error.to_string(),
                )),
            }
        }
        let grouping = series::group(headers);
        for (name, error) in &grouping.failures {
            failures.push(SeriesFailure::new(name, "series", error.to_string()));
        }
        let mut masks = Vec::new();
        for header in grouping.masks {
            match MaskFile::read(&header) {
                Ok(mask) => masks.push(MaskEntry { header, mask }),
                Err(error) => {
                    failures.push(SeriesFailure::new(header.name(), "mask", error.to_string()))
                }
            }
        }
        Self {
            groups: grouping.series,
            masks,
            failures,
        }
    }

    /// How many groups of files [`SeriesInputs::run`] will assemble (each reports one
    /// [`SeriesEvent::GroupDone`]).
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// Assembles and measures every scan under `settings` and `limits`, one at a time,
    /// handing each event to `on` (the failures of reading headers come first). An error
    /// returned by `on` (an output that cannot be written) stops the run.
    pub fn run(
        &self,
        settings: &SeriesSettings,
        limits: &Limits,
        mut on: impl FnMut(SeriesEvent) -> Result<()>,
    ) -> Result<()> {
        for failure in &self.failures {
            on(SeriesEvent::Failure(failure.clone()))?;
        }
        let load = |name: &str| DicomFile::open_with_limits(name, limits);
        let max_voxels = usize::try_from(limits.max_samples).unwrap_or(usize::MAX);
        for group in &self.groups {
            let first = group.names().first().cloned().unwrap_or_default();
            match series::assemble(group, &load, limits) {
                Err(error) => on(SeriesEvent::Failure(SeriesFailure::new(
                    &first,
                    "series",
                    error.to_string(),
                )))?,
                Ok(assembled) => {
                    for scan in assembled {
                        let image_path = scan.slices.first().cloned().unwrap_or(first.clone());
                        let measured = measure_scan(
                            &scan,
                            &image_path,
                            &self.masks,
                            settings,
                            limits,
                            max_voxels,
                        );
                        for failure in measured.failures {
                            on(SeriesEvent::Failure(failure))?;
                        }
                        on(SeriesEvent::Scan(Box::new(ScanOut {
                            image_path,
                            scan,
                            processed: measured.processed,
                            features: measured.rows,
                            masks: measured.masks,
                            measured_masks: measured.measured_masks,
                        })))?;
                    }
                }
            }
            on(SeriesEvent::GroupDone)?;
        }
        Ok(())
    }
}

/// The mask files drawn on `scan`: those naming its series, else those that name no
/// series and share its frame of reference. A file naming another series is not taken
/// by its frame of reference: two series of one frame (a CT and its contrast phase, a
/// PET and its CT) lie in one space, but a mask drawn on one was drawn on that one.
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
        .filter(|f| {
            frame.is_some()
                && f.mask.referenced_series().is_none()
                && f.mask.frame_of_reference().map(str::trim) == frame
        })
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
    processed: Option<Volume>,
    rows: Vec<RoiFeatureRow>,
    failures: Vec<SeriesFailure>,
    masks: Vec<Mask>,
    measured_masks: Vec<Mask>,
}

/// Places and measures every chosen ROI of the mask files drawn on `scan`.
fn measure_scan(
    scan: &Series,
    image_path: &str,
    files: &[MaskEntry],
    settings: &SeriesSettings,
    limits: &Limits,
    max_voxels: usize,
) -> Measured {
    let mut out = Measured {
        processed: None,
        rows: Vec::new(),
        failures: Vec::new(),
        masks: Vec::new(),
        measured_masks: Vec::new(),
    };
    let masks = masks_of(scan, files);
    if masks.is_empty() {
        out.failures.push(SeriesFailure::new(
            image_path,
            "no_mask",
            "no RTSTRUCT or SEG among the inputs refers to this series (by series or frame \
             of reference); add its mask file to the inputs"
                .into(),
        ));
        return out;
    }
    // Resampled once for all the scan's ROIs.
    let image = match processed_image(&scan.volume, settings, max_voxels) {
        Ok(image) => image,
        Err(error) => {
            out.failures.push(SeriesFailure::new(
                image_path,
                "features",
                error.to_string(),
            ));
            return out;
        }
    };
    let int = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    for entry in masks {
        let name = entry.header.name();
        let rois = match choose_rois(&entry.mask, settings.roi.as_deref()) {
            Ok(rois) => rois,
            Err(error) => {
                out.failures
                    .push(SeriesFailure::new(name, "mask", error.to_string()));
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
                    out.failures.push(SeriesFailure::new(
                        name,
                        error.kind().label(),
                        error.to_string(),
                    ));
                    continue;
                }
            }
        } else {
            &entry.header
        };
        for roi in rois {
            let on_scan = |error: &dyn std::fmt::Display| {
                format!("ROI {:?} on {image_path}: {error}", roi.name())
            };
            let mask = match roi.rasterise(file, &scan.volume.grid, limits) {
                Ok(mask) => mask,
                Err(error) => {
                    out.failures
                        .push(SeriesFailure::new(name, "mask", on_scan(&error)));
                    continue;
                }
            };
            let measured =
                processed_mask(&scan.volume, &mask, &image.grid).and_then(|morphological| {
                    measure(&image, &morphological, settings).map(|m| (m, morphological))
                });
            match measured {
                Ok((measured, morphological)) => {
                    out.measured_masks.push(morphological);
                    out.rows.push(RoiFeatureRow {
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
                        mask: None,
                        features: measured.values,
                    })
                }
                Err(error) => {
                    out.failures
                        .push(SeriesFailure::new(name, "features", on_scan(&error)))
                }
            }
            out.masks.push(mask);
        }
    }
    out.processed = Some(image);
    out
}
