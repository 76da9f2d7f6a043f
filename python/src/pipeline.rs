//! `Pipeline`: a recipe run over many inputs through the runner (`medprep_runner`), on
//! a rayon pool, without the GIL. The features table comes back as a pyarrow
//! `RecordBatch` through the Arrow C Data Interface, its schema the `features` table's.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use medprep::{DeviceChoice, Recipe};
use medprep_runner::tables::{arrow, FeatureRow};
use medprep_runner::{self as runner, Job, Outcome, Runner, Task};
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
    inner: Arc<medprep::Pipeline>,
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

/// One failed input: `(item index, image_path, kind, message)`.
type Failure = (usize, String, String, String);

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
        let (device, device_note) = py
            .detach(|| choice.open())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let recipe = match recipe {
            Some(recipe) => recipe_from(recipe)?,
            None => Recipe::preset("ct-standard").map_err(|e| errors::from_recipe(&e))?,
        };
        let recipe_toml = recipe.to_toml();
        let inner = py
            .detach(|| medprep::Pipeline::with_device(recipe, device))
            .map_err(|e| errors::from_recipe(&e))?;
        Ok(Self {
            device: inner.device().name(),
            inner: Arc::new(inner),
            recipe_toml,
            device_note,
        })
    }

    /// Feature column names, `<map>_<statistic>`, in output order.
    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.inner.feature_names().to_vec()
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
        let runner = Runner::new(Arc::clone(&self.inner)).with_pool(pool);
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
        let schema = Arc::new(arrow::schema(&FeatureRow::specs(
            self.inner.feature_names(),
        )));
        let batch = arrow::record_batch(&rows, &schema)
            .map_err(|e| errors::MedprepError::new_err(format!("{e:#}")))?;
        Ok((PyRecordBatch::new(batch).into_pyarrow(py)?, failures))
    }
}
