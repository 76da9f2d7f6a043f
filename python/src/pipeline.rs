//! `Pipeline`: a recipe run over many inputs on a rayon pool, without the GIL. On a GPU
//! the inputs go through `medprep::Pipeline::process_batch`, a batch at a time.

use std::path::PathBuf;
use std::sync::Arc;

use medprep::{Frames, Image, Limits, Recipe};
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rayon::prelude::*;

use crate::errors;
use crate::image::Source;

/// One output row: a frame of one input.
struct Row {
    item: usize,
    sop_instance_uid: Option<String>,
    patient_id: Option<String>,
    frame: u32,
    features: Vec<f64>,
}

/// Columns of a run, features stored feature-major so each column is contiguous, plus
/// the failures as `(item index, image_path, kind, message)`.
type Columns<'py> = (
    Bound<'py, PyArray1<i64>>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<String>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray2<f64>>,
    Vec<(usize, String, String, String)>,
);

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

impl Pipeline {
    /// Decodes and processes one input.
    fn process(
        &self,
        index: usize,
        source: &Source,
        name: &str,
    ) -> Result<Vec<Row>, medprep::Error> {
        let image = decode(source, name)?;
        let results = self.inner.process(name, &image)?;
        Ok(rows(index, &image, results))
    }

    /// [`Pipeline::process`] of every input on a GPU: batches of
    /// [`medprep::Pipeline::GPU_BATCH_FRAMES`] consecutive inputs are decoded in
    /// parallel and go through one `process_batch` call each, so that their frames stay
    /// on the device from upload to statistics. The results are those of `process`.
    fn process_batches(
        &self,
        sources: &[Source],
        names: &[String],
    ) -> Vec<Result<Vec<Row>, medprep::Error>> {
        let size = medprep::Pipeline::GPU_BATCH_FRAMES;
        let mut out = Vec::with_capacity(sources.len());
        for (batch, chunk) in sources.chunks(size).enumerate() {
            let start = batch * size;
            let names = &names[start..start + chunk.len()];
            let decoded: Vec<_> = chunk
                .par_iter()
                .zip(names)
                .map(|(source, name)| decode(source, name))
                .collect();
            let results = {
                let ready: Vec<(&str, &Image)> = decoded
                    .iter()
                    .zip(names)
                    .filter_map(|(image, name)| Some((name.as_str(), image.as_ref().ok()?)))
                    .collect();
                self.inner.process_batch(&ready)
            };
            let mut results = results.into_iter();
            for (k, (image, name)) in decoded.into_iter().zip(names).enumerate() {
                out.push(image.and_then(|image| {
                    let frames = results
                        .next()
                        .unwrap_or_else(|| self.inner.process(name, &image))?;
                    Ok(rows(start + k, &image, frames))
                }));
            }
        }
        out
    }
}

/// Reads and decodes one input.
fn decode(source: &Source, name: &str) -> Result<Image, medprep::Error> {
    source
        .open(name)
        .and_then(|f| f.image(Frames::All, &Limits::default()))
}

/// The rows of input `index`, one per frame.
fn rows(index: usize, image: &Image, results: Vec<medprep::FrameResult>) -> Vec<Row> {
    results
        .into_iter()
        .map(|r| Row {
            item: index,
            sop_instance_uid: image.meta.sop_instance_uid.clone(),
            patient_id: image.meta.patient_id.clone(),
            frame: r.frame,
            features: r.features,
        })
        .collect()
}

#[pymethods]
impl Pipeline {
    #[new]
    #[pyo3(signature = (recipe = None, device = "auto"))]
    fn new(py: Python<'_>, recipe: Option<&Bound<'_, PyAny>>, device: &str) -> PyResult<Self> {
        let (device, device_note) = py
            .detach(|| medprep::Device::from_name(device))
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

    /// Runs every item; returns the columns of the features table and the failures.
    /// With `stop_on_error`, the first failure in input order is raised instead.
    #[pyo3(signature = (items, jobs = None, stop_on_error = true))]
    fn _run<'py>(
        &self,
        py: Python<'py>,
        items: Vec<Bound<'py, PyAny>>,
        jobs: Option<usize>,
        stop_on_error: bool,
    ) -> PyResult<Columns<'py>> {
        let sources = items
            .iter()
            .map(Source::extract)
            .collect::<PyResult<Vec<_>>>()?;
        let names: Vec<String> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Source::Path(path) => path.display().to_string(),
                Source::Bytes(_) => format!("<bytes #{i}>"),
            })
            .collect();
        if jobs == Some(0) {
            return Err(PyValueError::new_err("jobs must be at least 1"));
        }
        let pool = crate::pool::get(jobs)?;
        let work = || -> Vec<Result<Vec<Row>, medprep::Error>> {
            if self.device == "gpu" {
                return self.process_batches(&sources, &names);
            }
            let each = |(i, s): (usize, &Source)| self.process(i, s, &names[i]);
            sources.par_iter().enumerate().map(each).collect()
        };
        let outcomes = py.detach(|| pool.install(work));
        // Every item runs, so the error raised is the first in input order, whatever
        // the threads did.
        if stop_on_error {
            if let Some(Err(e)) = outcomes.iter().find(|o| o.is_err()) {
                return Err(errors::from_core(e));
            }
        }

        let width = self.inner.feature_names().len();
        let mut failures = Vec::new();
        let mut rows = Vec::new();
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(r) => rows.extend(r),
                Err(e) => failures.push((
                    i,
                    names[i].clone(),
                    e.kind().label().to_owned(),
                    e.to_string(),
                )),
            }
        }
        let mut features = Array2::<f64>::from_elem((width, rows.len()), f64::NAN);
        for (j, row) in rows.iter().enumerate() {
            for (k, value) in row.features.iter().take(width).enumerate() {
                features[[k, j]] = *value;
            }
        }
        let item: Vec<i64> = rows.iter().map(|r| r.item as i64).collect();
        let frame: Vec<i32> = rows
            .iter()
            .map(|r| i32::try_from(r.frame).unwrap_or(i32::MAX))
            .collect();
        let image_path = rows.iter().map(|r| names[r.item].clone()).collect();
        let (sop, patient): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .map(|r| (r.sop_instance_uid, r.patient_id))
            .unzip();
        Ok((
            item.into_pyarray(py),
            sop,
            patient,
            image_path,
            frame.into_pyarray(py),
            features.into_pyarray(py),
            failures,
        ))
    }
}
