//! `Volume`: a scan or mask with its geometry, as numpy (z, y, x) and SimpleITK's
//! spacing, origin and direction.

use medprep::volume::resample::{aligned_grid, resample_mask, resample_volume};
use medprep::{Grid, Limits, Mask};
use numpy::{IntoPyArray, PyArray3, PyArrayMethods, PyReadonlyArray3};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A volume in patient space (LPS): ``pixels`` as numpy (z, y, x), with ``spacing``,
/// ``origin`` (x, y, z) and ``direction`` (9 numbers, row-major) read exactly like
/// SimpleITK's ``GetSpacing()``, ``GetOrigin()`` and ``GetDirection()``.
#[pyclass(module = "medprep._native", frozen)]
pub(crate) struct Volume {
    /// float32 values of a scan, or bool values of a mask.
    pixels: Py<PyAny>,
    spacing: [f64; 3],
    origin: [f64; 3],
    direction: [f64; 9],
    /// The ROI name of a mask, else None.
    roi: Option<String>,
    /// What was noticed while reading (uneven spacing, gantry tilt, ...).
    warnings: Vec<String>,
}

#[pymethods]
impl Volume {
    /// A volume from a (z, y, x) array and its geometry (defaults: 1 mm spacing, origin
    /// 0, identity direction): float32 for a scan, bool for a mask.
    #[new]
    #[pyo3(signature = (pixels, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), direction=None))]
    fn new(
        py: Python<'_>,
        pixels: &Bound<'_, PyAny>,
        spacing: (f64, f64, f64),
        origin: (f64, f64, f64),
        direction: Option<[f64; 9]>,
    ) -> PyResult<Self> {
        let spacing = [spacing.0, spacing.1, spacing.2];
        if spacing.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(PyValueError::new_err(format!(
                "spacing must be positive and finite, not {spacing:?}"
            )));
        }
        let pixels = if let Ok(scan) = pixels.extract::<PyReadonlyArray3<'_, f32>>() {
            scan.to_owned_array().into_pyarray(py).into_any().unbind()
        } else if let Ok(mask) = pixels.extract::<PyReadonlyArray3<'_, bool>>() {
            mask.to_owned_array().into_pyarray(py).into_any().unbind()
        } else {
            return Err(PyTypeError::new_err(
                "a volume's pixels are a 3-D numpy array of float32 (a scan) or bool (a mask)",
            ));
        };
        Ok(Self {
            pixels,
            spacing,
            origin: [origin.0, origin.1, origin.2],
            direction: direction.unwrap_or(Grid::IDENTITY),
            roi: None,
            warnings: Vec::new(),
        })
    }

    /// The values, numpy (z, y, x): float32 for a scan, bool for a mask.
    #[getter]
    fn pixels(&self, py: Python<'_>) -> Py<PyAny> {
        self.pixels.clone_ref(py)
    }

    /// Voxel spacing in mm, (x, y, z).
    #[getter]
    fn spacing(&self) -> (f64, f64, f64) {
        (self.spacing[0], self.spacing[1], self.spacing[2])
    }

    /// Position of the first voxel's centre in mm, LPS, (x, y, z).
    #[getter]
    fn origin(&self) -> (f64, f64, f64) {
        (self.origin[0], self.origin[1], self.origin[2])
    }

    /// Direction cosines, row-major; column k is index axis k.
    #[getter]
    fn direction(&self) -> Vec<f64> {
        self.direction.to_vec()
    }

    /// The ROI of a mask, else None.
    #[getter]
    fn roi(&self) -> Option<String> {
        self.roi.clone()
    }

    /// What was noticed while reading.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The volume as a ``SimpleITK.Image`` with the same geometry (masks as uint8).
    fn to_sitk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let sitk = py.import("SimpleITK")?;
        let pixels = self.pixels.bind(py);
        let is_mask = pixels
            .getattr("dtype")?
            .getattr("kind")?
            .extract::<String>()?
            == "b";
        let array = if is_mask {
            pixels.call_method1("astype", ("uint8",))?
        } else {
            pixels.clone()
        };
        let image = sitk.call_method1("GetImageFromArray", (array,))?;
        image.call_method1("SetSpacing", (self.spacing(),))?;
        image.call_method1("SetOrigin", (self.origin(),))?;
        image.call_method1("SetDirection", (self.direction(),))?;
        Ok(image)
    }

    /// A volume from a 3-D ``SimpleITK.Image`` (its pixels as float32).
    #[staticmethod]
    fn from_sitk(py: Python<'_>, image: &Bound<'_, PyAny>) -> PyResult<Self> {
        let sitk = py.import("SimpleITK")?;
        let dimension: usize = image.call_method0("GetDimension")?.extract()?;
        if dimension != 3 {
            return Err(PyValueError::new_err(format!(
                "a volume is 3-D; this image has {dimension} dimensions"
            )));
        }
        let array = sitk
            .call_method1("GetArrayFromImage", (image,))?
            .call_method1("astype", ("float32",))?;
        let spacing: (f64, f64, f64) = image.call_method0("GetSpacing")?.extract()?;
        let origin: (f64, f64, f64) = image.call_method0("GetOrigin")?.extract()?;
        let direction: [f64; 9] = image.call_method0("GetDirection")?.extract()?;
        Self::new(py, &array, spacing, origin, Some(direction))
    }

    /// The volume on IBSI's centre-aligned grid of ``spacing`` (x, y, z mm): linear
    /// interpolation with edge padding for a scan; for a mask, the 0/1 values
    /// interpolated the same way and thresholded at 0.5.
    fn resample(&self, py: Python<'_>, spacing: (f64, f64, f64)) -> PyResult<Self> {
        let grid = self.grid(py)?;
        let spacing = [spacing.0, spacing.1, spacing.2];
        let target = aligned_grid(&grid, spacing, Limits::default().max_samples as usize)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        let pixels = self.pixels.bind(py);
        let warnings = self.warnings.clone();
        if let Ok(mask) = pixels.cast::<PyArray3<bool>>() {
            let mask = Mask {
                grid,
                voxels: mask.readonly().as_array().iter().copied().collect(),
                roi: self.roi.clone().unwrap_or_default(),
            };
            let resampled = py.detach(|| resample_mask(&mask, &target));
            let mut out = Self::from_mask(py, resampled, warnings);
            if self.roi.is_none() {
                out.roi = None;
            }
            return Ok(out);
        }
        let values = pixels.cast::<PyArray3<f32>>().map_err(|_| {
            PyValueError::new_err("a volume holds float32 scan values or a bool mask")
        })?;
        let volume = medprep::Volume {
            grid,
            voxels: values.readonly().as_array().iter().copied().collect(),
        };
        let resampled = py.detach(|| resample_volume(&volume, &target));
        Ok(Self::from_core(py, resampled, warnings))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let shape = self.pixels.bind(py).getattr("shape")?.repr()?.to_string();
        Ok(format!(
            "Volume(shape={shape}, spacing={:?}, origin={:?}{})",
            self.spacing,
            self.origin,
            self.roi
                .as_ref()
                .map_or_else(String::new, |roi| format!(", roi={roi:?}"))
        ))
    }
}

impl Volume {
    /// A scan volume, with what was noticed while reading it.
    pub(crate) fn from_core(
        py: Python<'_>,
        volume: medprep::Volume,
        warnings: Vec<String>,
    ) -> Self {
        let shape = volume.grid.shape_zyx();
        let grid = volume.grid;
        let pixels = ndarray::Array3::from_shape_vec(shape, volume.voxels)
            .expect("a volume holds grid.len() voxels");
        Self {
            pixels: pixels.into_pyarray(py).into_any().unbind(),
            spacing: grid.spacing,
            origin: grid.origin,
            direction: grid.direction,
            roi: None,
            warnings,
        }
    }

    /// A mask volume (bool pixels), named by its ROI, with what was noticed reading it.
    pub(crate) fn from_mask(py: Python<'_>, mask: Mask, warnings: Vec<String>) -> Self {
        let shape = mask.grid.shape_zyx();
        let grid = mask.grid;
        let pixels = ndarray::Array3::from_shape_vec(shape, mask.voxels)
            .expect("a mask holds grid.len() voxels");
        Self {
            pixels: pixels.into_pyarray(py).into_any().unbind(),
            spacing: grid.spacing,
            origin: grid.origin,
            direction: grid.direction,
            roi: Some(mask.roi),
            warnings,
        }
    }

    /// The grid the pixels lie on.
    pub(crate) fn grid(&self, py: Python<'_>) -> PyResult<Grid> {
        let shape: Vec<usize> = self.pixels.bind(py).getattr("shape")?.extract()?;
        let [z, y, x] = shape[..] else {
            return Err(PyValueError::new_err("a volume's pixels are 3-D"));
        };
        Ok(Grid {
            size: [x, y, z],
            spacing: self.spacing,
            origin: self.origin,
            direction: self.direction,
        })
    }
}
