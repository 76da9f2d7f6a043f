//! `Pipeline`: a recipe run over many inputs through the runner (`medprep_runner`), on
//! a rayon pool, without the GIL. The features table comes back as a pyarrow
//! `RecordBatch` through the Arrow C Data Interface, its schema the `features` table's.
//!
//! A series-mode recipe (a `[series]` table) makes a pipeline over scans: the runner's
//! series mode (`medprep_runner::series`) groups the files and folders given into
//! scans, matches their RTSTRUCT and SEG files, and measures each ROI, exactly as
//! `medprep run` does; the features table has one row per (scan, ROI) and a scans table
//! comes back beside it.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use medprep::recipe::SeriesSettings;
use medprep::volume::radiomics::feature_columns;
use medprep::{DeviceChoice, Limits, Recipe};
use medprep_runner::discover::discover;
use medprep_runner::tables::{arrow, roi_features_schema, FeatureRow, RoiFeatureRow, SeriesRow};
use medprep_runner::{self as runner, Job, Outcome, Runner, SeriesEvent, SeriesInputs, Task};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3_arrow::PyRecordBatch;

use crate::errors;
use crate::image::Source;

/// A recipe ready to run on a device.
#[derive(Debug)]
#[pyclass(module = "medprep._native", frozen)]
pub struct Pipeline {
    mode: Mode,
    /// `slices` (one row per frame of each image) or `series` (one row per scan and ROI).
    #[pyo3(get)]
    kind: &'static str,
    /// The recipe as TOML (the form `medprep recipe show` prints).
    #[pyo3(get)]
    recipe_toml: String,
    /// The device that runs the recipe: `cpu` or `gpu`.
    #[pyo3(get)]
    device: &'static str,
    /// One line naming the device and, for `auto`, why it was chosen.
    #[pyo3(get)]
    device_note: String,
}

/// What the pipeline runs: the slice pipeline on a device, or series mode's settings.
#[derive(Debug)]
enum Mode {
    Slices(Arc<medprep::Pipeline>),
    Series {
        recipe_name: String,
        settings: SeriesSettings,
        feature_names: Vec<String>,
    },
}

/// One failed input: `(item index, image_path, kind, message)`.
type Failure = (usize, String, String, String);

/// The series-mode run's features and scans rows, and its failures.
type SeriesRun = (
    Vec<RoiFeatureRow>,
    Vec<SeriesRow>,
    Vec<(String, String, String)>,
);

/// A recipe from a preset name or file path (`str`), a path (`os.PathLike`) or a dict.
fn recipe_from(recipe: &Bound<'_, PyAny>) -> PyResult<Recipe> {
    let py = recipe.py();
    let parsed = if let Ok(text) = recipe.cast::<PyString>() {
        Recipe::preset_or_path(&text.to_cow()?)
    } else if recipe.is_instance_of::<PyDict>() {
        let json: String = py
            .import("json")?
            .call_method1("dumps", (recipe,))?
            .extract()?;
        Recipe::from_json_str(&json)
    } else if let Ok(path) = recipe.extract::<PathBuf>() {
        Recipe::from_path(&path)
    } else {
        return Err(PyTypeError::new_err(
            "recipe must be a preset name, a path or a dict",
        ));
    };
    parsed.map_err(|e| errors::from_recipe(&e))
}

#[pymethods]
impl Pipeline {
    #[new]
    #[pyo3(signature = (recipe = None, device = "auto"))]
    fn new(py: Python<'_>, recipe: Option<&Bound<'_, PyAny>>, device: &str) -> PyResult<Self> {
        let choice: DeviceChoice = device
            .parse()
            .map_err(|e: medprep::DeviceError| PyValueError::new_err(e.to_string()))?;
        let recipe = match recipe {
            Some(recipe) => recipe_from(recipe)?,
            None => Recipe::preset("ct-standard").map_err(|e| errors::from_recipe(&e))?,
        };
        let recipe_toml = recipe.to_toml();
        if let Some(settings) = recipe.series.clone() {
            if choice == DeviceChoice::Gpu {
                return Err(PyValueError::new_err(
                    "series mode runs on the CPU: its 3-D filters and volume statistics have \
                     no GPU version yet (docs/gpu.md); use device=\"cpu\" or \"auto\"",
                ));
            }
            let feature_names = feature_columns(&settings)
                .into_iter()
                .map(|c| c.name)
                .collect();
            return Ok(Self {
                mode: Mode::Series {
                    recipe_name: recipe.name.clone(),
                    settings,
                    feature_names,
                },
                kind: "series",
                recipe_toml,
                device: "cpu",
                device_note: "cpu: series mode runs on the CPU (no GPU version of its volume \
                              steps yet)"
                    .to_owned(),
            });
        }
        let (device, device_note) = py
            .detach(|| choice.open())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let inner = py
            .detach(|| medprep::Pipeline::with_device(recipe, device))
            .map_err(|e| errors::from_recipe(&e))?;
        Ok(Self {
            device: inner.device().name(),
            mode: Mode::Slices(Arc::new(inner)),
            kind: "slices",
            recipe_toml,
            device_note,
        })
    }

    /// Feature column names, `<map>_<statistic>`, in output order.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        match &self.mode {
            Mode::Slices(pipeline) => pipeline.feature_names().to_vec(),
            Mode::Series { feature_names, .. } => feature_names.clone(),
        }
    }

    /// Runs every item; returns the rows of the features table (one per frame, in input
    /// order) as a pyarrow `RecordBatch`, and the failures. With `stop_on_error`, the
    /// first failure in input order is raised instead.
    #[pyo3(signature = (items, jobs = None, stop_on_error = true))]
    fn _run<'py>(
        &self,
        py: Python<'py>,
        items: Vec<Bound<'py, PyAny>>,
        jobs: Option<usize>,
        stop_on_error: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Vec<Failure>)> {
        let sources = items
            .iter()
            .map(Source::extract)
            .collect::<PyResult<Vec<_>>>()?;
        if jobs == Some(0) {
            return Err(PyValueError::new_err("jobs must be at least 1"));
        }
        let pool = crate::pool::get(jobs)?;
        let Mode::Slices(pipeline) = &self.mode else {
            return Err(PyValueError::new_err(
                "this pipeline is in series mode; run it with _run_series",
            ));
        };
        let runner = Runner::new(Arc::clone(pipeline)).with_pool(pool);
        let names: Vec<String> = sources
            .iter()
            .enumerate()
            .map(|(index, source)| match source {
                Source::Path(path) => path.display().to_string(),
                Source::Bytes(_) => format!("<bytes #{index}>"),
            })
            .collect();
        let tasks = sources
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(index, (source, name))| {
                let source = match source {
                    Source::Path(path) => runner::Source::Path(Cow::Borrowed(path.as_path())),
                    Source::Bytes(bytes) => runner::Source::Bytes(Cow::Borrowed(bytes.as_ref())),
                };
                Ok(Task::new(index, Job::image(name.clone(), source)))
            });
        let mut rows = Vec::new();
        let mut failures: Vec<Failure> = Vec::new();
        let run = py.detach(|| {
            runner.run(
                tasks,
                |index, outcome| (index, outcome),
                |(index, outcome), _, _| {
                    match outcome {
                        Outcome::Done { scan, frames, .. } => {
                            rows.extend(
                                frames.into_iter().map(|frame| FeatureRow::of(&scan, frame)),
                            );
                        }
                        Outcome::Failed { kind, error, .. } => {
                            failures.push((index, names[index].clone(), kind, error));
                        }
                    }
                    Ok(())
                },
            )
        });
        run.map_err(|e| errors::MedprepError::new_err(format!("{e:#}")))?;
        // Every item runs, so the error raised is the first in input order, whatever
        // the threads did.
        if stop_on_error {
            if let Some((_, image_path, kind, error)) = failures.first() {
                return Err(errors::from_failure(image_path, kind, error));
            }
        }
        let failures = failures
            .into_iter()
            .map(|(index, image_path, kind, error)| {
                let message = format!("{image_path}: {error}");
                (index, image_path, kind, message)
            })
            .collect();
        let schema = Arc::new(arrow::schema(&FeatureRow::specs(pipeline.feature_names())));
        let batch = arrow::record_batch(&rows, &schema)
            .map_err(|e| errors::MedprepError::new_err(format!("{e:#}")))?;
        Ok((PyRecordBatch::new(batch).into_pyarrow(py)?, failures))
    }

    /// Series mode: finds the DICOM files of `items` (files, and folders searched
    /// recursively), groups them into scans with their masks, and measures every ROI;
    /// returns the features rows (one per scan and ROI) and the scans rows as pyarrow
    /// `RecordBatch`es, and the failures, each with the index of the item it came from.
    /// With `stop_on_error`, the first failure is raised instead.
    #[pyo3(signature = (items, jobs = None, stop_on_error = true))]
    fn _run_series<'py>(
        &self,
        py: Python<'py>,
        items: Vec<PathBuf>,
        jobs: Option<usize>,
        stop_on_error: bool,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Vec<Failure>)> {
        let Mode::Series {
            recipe_name,
            settings,
            ..
        } = &self.mode
        else {
            return Err(PyValueError::new_err(
                "this pipeline is in slice mode; run it with _run",
            ));
        };
        if jobs == Some(0) {
            return Err(PyValueError::new_err("jobs must be at least 1"));
        }
        let found = discover(&items).map_err(|e| errors::DecodeError::new_err(format!("{e:#}")))?;
        if found.files.is_empty() {
            return Err(errors::DecodeError::new_err(format!(
                "no DICOM files found in the {} item(s) given ({} other file(s) skipped)",
                items.len(),
                found.skipped
            )));
        }
        let pool = crate::pool::get(jobs)?;
        let run: Result<SeriesRun, String> = py.detach(|| {
            pool.install(|| {
                let inputs = SeriesInputs::open(&found.files);
                let (mut rows, mut scans, mut failures) = (Vec::new(), Vec::new(), Vec::new());
                inputs
                    .run(settings, &Limits::default(), |event| {
                        match event {
                            SeriesEvent::Failure(f) => {
                                failures.push((f.image_path, f.kind, f.error))
                            }
                            SeriesEvent::Scan(done) => {
                                rows.extend(done.features);
                                scans.push(SeriesRow::new(
                                    done.image_path,
                                    &done.scan,
                                    recipe_name,
                                    None,
                                    None,
                                ));
                            }
                            SeriesEvent::GroupDone => {}
                        }
                        Ok(())
                    })
                    .map_err(|e| format!("{e:#}"))?;
                Ok((rows, scans, failures))
            })
        });
        let (rows, scans, failures) = run.map_err(errors::MedprepError::new_err)?;
        if stop_on_error {
            if let Some((image_path, kind, error)) = failures.first() {
                return Err(errors::from_failure(image_path, kind, error));
            }
        }
        // A failure belongs to the item its file was found under.
        let item_of = |image_path: &str| {
            items
                .iter()
                .position(|item| std::path::Path::new(image_path).starts_with(item))
                .unwrap_or(0)
        };
        let failures = failures
            .into_iter()
            .map(|(image_path, kind, error)| {
                let message = format!("{image_path}: {error}");
                (item_of(&image_path), image_path, kind, message)
            })
            .collect();
        let columns = feature_columns(settings);
        let features = arrow::record_batch(&rows, &Arc::new(roi_features_schema(&columns)))
            .map_err(|e| errors::MedprepError::new_err(format!("{e:#}")))?;
        let scans = arrow::record_batch(&scans, &Arc::new(arrow::schema(&SeriesRow::specs())))
            .map_err(|e| errors::MedprepError::new_err(format!("{e:#}")))?;
        Ok((
            PyRecordBatch::new(features).into_pyarrow(py)?,
            PyRecordBatch::new(scans).into_pyarrow(py)?,
            failures,
        ))
    }
}
