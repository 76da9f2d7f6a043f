//! `read`: one DICOM input decoded into an [`Image`] of numpy arrays.

use std::path::PathBuf;

use medprep::{DicomFile, Frames, Limits, Samples};
use ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

use crate::errors;

/// One input: a path, or DICOM bytes borrowed from Python.
pub(crate) enum Source {
    /// A file path (`str` or `os.PathLike`).
    Path(PathBuf),
    /// The bytes of a DICOM file.
    Bytes(PyBackedBytes),
}

impl Source {
    /// `bytes` (borrowed), `bytearray` and `memoryview` (copied), else a path.
    pub(crate) fn extract(item: &Bound<'_, PyAny>) -> PyResult<Self> {
        if item.is_instance_of::<PyBytes>() {
            return Ok(Self::Bytes(item.extract()?));
        }
        if item.is_instance_of::<PyByteArray>() || item.is_instance_of::<PyMemoryView>() {
            let copy = item.py().get_type::<PyBytes>().call1((item,))?;
            return Ok(Self::Bytes(copy.extract()?));
        }
        item.extract::<PathBuf>().map(Self::Path).map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a path (str or os.PathLike) or DICOM bytes, not {}",
                item.get_type()
                    .name()
                    .map_or_else(|_| "?".to_owned(), |n| n.to_string())
            ))
        })
    }

    /// Parses the file; `name` names bytes inputs in errors.
    pub(crate) fn open(&self, name: &str) -> medprep::Result<DicomFile> {
        match self {
            Self::Path(path) => DicomFile::open(path),
            Self::Bytes(bytes) => DicomFile::from_bytes(name, bytes),
        }
    }
}

/// The metadata as a Python dict, through its JSON form (the same as `medprep info`).
pub(crate) fn meta_dict<'py>(
    py: Python<'py>,
    meta: &medprep::Metadata,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(meta)
        .map_err(|e| errors::MedprepError::new_err(format!("metadata: {e}")))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// A decoded DICOM image: pixels in physical units, geometry and header metadata.
#[derive(Debug)]
#[pyclass(module = "medprep._native", frozen)]
pub struct Image {
    file: DicomFile,
    frames: Frames,
    /// Pixels after the modality LUT as float32, in pydicom's `pixel_array` shape.
    #[pyo3(get)]
    pixels: Py<PyArrayDyn<f32>>,
    /// Pixel spacing `(row, column)` in mm, or None when the header has none.
    #[pyo3(get)]
    spacing: Option<(f64, f64)>,
    /// Header metadata as a dict (patient id, UIDs, modality, dates, geometry, ...).
    #[pyo3(get)]
    meta: Py<PyAny>,
    /// The input's name: its path, or `<bytes>`.
    #[pyo3(get)]
    name: String,
}

#[pymethods]
impl Image {
    /// Stored values exactly as pydicom's `pixel_array` (same dtype and shape); decoded
    /// again on each access.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stored = py
            .detach(|| self.file.stored_pixels(self.frames, &Limits::default()))
            .map_err(|e| errors::from_core(&e))?;
        let shape = IxDyn(&stored.shape());
        let array = |e: ndarray::ShapeError| errors::DecodeError::new_err(format!("raw: {e}"));
        Ok(match stored.samples {
            Samples::U8(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
            Samples::I8(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
            Samples::U16(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
            Samples::I16(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
            Samples::U32(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
            Samples::I32(v) => ArrayD::from_shape_vec(shape, v)
                .map_err(array)?
                .into_pyarray(py)
                .into_any(),
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let shape = self.pixels.bind(py).shape().to_vec();
        format!("<medprep.Image {} shape={shape:?}>", self.name)
    }
}

/// Decodes `source` (a path, `os.PathLike` or DICOM bytes): every frame, or only `frame`.
#[pyfunction]
#[pyo3(signature = (source, frame = None))]
pub fn read(py: Python<'_>, source: &Bound<'_, PyAny>, frame: Option<u32>) -> PyResult<Image> {
    let source = Source::extract(source)?;
    let name = match &source {
        Source::Path(path) => path.display().to_string(),
        Source::Bytes(_) => "<bytes>".to_owned(),
    };
    let frames = frame.map_or(Frames::All, Frames::One);
    let (file, image) = py
        .detach(|| {
            let file = source.open(&name)?;
            let image = file.image(frames, &Limits::default())?;
            Ok((file, image))
        })
        .map_err(|e: medprep::Error| errors::from_core(&e))?;
    let spacing = image.meta.geometry.pixel_spacing.map(|[r, c]| (r, c));
    let meta = meta_dict(py, &image.meta)?.unbind();
    let pixels = ArrayD::from_shape_vec(IxDyn(&image.shape()), image.pixels)
        .map_err(|e| errors::DecodeError::new_err(format!("{name}: pixels: {e}")))?
        .into_pyarray(py)
        .unbind();
    Ok(Image {
        file,
        frames,
        pixels,
        spacing,
        meta,
        name,
    })
}
