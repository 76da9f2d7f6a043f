//! The CPU stages over float32 numpy arrays, 2-D images or (z, y, x) volumes for the
//! Gaussian, LoG and Sobel filters: borrowed read-only, computed without the GIL,
//! returned as new arrays without a copy.

use medprep::cpu::filters::{self, Gabor};
use medprep::cpu::resample::{self, Grid, Interpolator};
use medprep::Window;
use ndarray::{Array2, Array3};
use numpy::{IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Adds the ops to the module, each with a leading underscore: `medprep.ops` wraps them.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(window, m)?)?;
    m.add_function(wrap_pyfunction!(resample_to, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian, m)?)?;
    m.add_function(wrap_pyfunction!(sobel, m)?)?;
    m.add_function(wrap_pyfunction!(gabor, m)?)?;
    m.add_function(wrap_pyfunction!(correlate, m)?)?;
    Ok(())
}

fn positive(name: &str, value: f64) -> PyResult<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be a positive finite number, not {value}"
        )))
    }
}

/// Runs `f` on the borrowed array without the GIL.
fn run<'py>(
    x: &PyReadonlyArray2<'py, f32>,
    f: impl FnOnce(ndarray::ArrayView2<'_, f32>) -> Array2<f32> + Send,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let py = x.py();
    let view = x.as_array();
    let pool = crate::pool::get(None)?;
    Ok(py.detach(|| pool.install(|| f(view))).into_pyarray(py))
}

/// Intensity window `clamp((x - (c - w/2)) / w, 0, 1)`, optionally inverted.
#[pyfunction]
#[pyo3(name = "_window", signature = (x, center, width, invert = false))]
fn window<'py>(
    x: PyReadonlyArray2<'py, f32>,
    center: f64,
    width: f64,
    invert: bool,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    if !center.is_finite() {
        return Err(PyValueError::new_err(format!(
            "center must be finite, not {center}"
        )));
    }
    let window = Window {
        center,
        width: positive("width", width)?,
    };
    run(&x, |v| {
        let mut out = v.as_standard_layout().into_owned();
        if let Some(values) = out.as_slice_mut() {
            window.apply(values, invert);
        }
        out
    })
}

/// Resamples onto the ITK grid for `target_spacing` or `size`.
#[pyfunction]
#[pyo3(name = "_resample", signature = (x, spacing, target_spacing, size, interpolator))]
fn resample_to<'py>(
    x: PyReadonlyArray2<'py, f32>,
    spacing: (f64, f64),
    target_spacing: Option<(f64, f64)>,
    size: Option<(usize, usize)>,
    interpolator: &str,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let interpolator = match interpolator {
        "nearest" => Interpolator::Nearest,
        "linear" => Interpolator::Linear,
        "cubic" => Interpolator::Cubic,
        "lanczos3" => Interpolator::Lanczos3,
        other => {
            return Err(PyValueError::new_err(format!(
                "interpolator must be nearest, linear, cubic or lanczos3, not {other:?}"
            )))
        }
    };
    let spacing = [
        positive("spacing", spacing.0)?,
        positive("spacing", spacing.1)?,
    ];
    let shape = [x.as_array().nrows(), x.as_array().ncols()];
    let grid = match (target_spacing, size) {
        (Some((r, c)), None) => Grid::to_spacing(
            shape,
            spacing,
            [
                positive("target_spacing", r)?,
                positive("target_spacing", c)?,
            ],
        ),
        (None, Some((r, c))) if r > 0 && c > 0 => Grid::to_size(shape, spacing, [r, c]),
        (None, Some(size)) => {
            return Err(PyValueError::new_err(format!(
                "size must be positive, not {size:?}"
            )))
        }
        _ => {
            return Err(PyValueError::new_err(
                "give exactly one of target_spacing and size",
            ))
        }
    };
    run(&x, |v| resample::resample(v, &grid, interpolator))
}

/// The volume filters' common arguments: sigma in voxels (z, y, x) from sigma in mm and
/// the spacing, the boundary and whether each slice is filtered on its own.
struct VolumeArgs {
    sigma: [f64; 3],
    padding: filters::Padding,
    dims: filters::Dims,
}

fn volume_args(
    sigma_mm: (f64, f64, f64),
    spacing: (f64, f64, f64),
    padding: &str,
    dims: u8,
) -> PyResult<VolumeArgs> {
    let spacing = [
        positive("spacing", spacing.0)?,
        positive("spacing", spacing.1)?,
        positive("spacing", spacing.2)?,
    ];
    let sigma_mm = [sigma_mm.0, sigma_mm.1, sigma_mm.2];
    if let Some(bad) = sigma_mm.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(PyValueError::new_err(format!(
            "sigma must be a non-negative finite number of mm, not {bad}"
        )));
    }
    let sigma = filters::sigma_voxels(sigma_mm, spacing);
    if let Some(bad) = sigma.iter().find(|s| **s > filters::MAX_SIGMA) {
        return Err(PyValueError::new_err(format!(
            "sigma is {bad} voxels, more than the {} voxels honoured",
            filters::MAX_SIGMA
        )));
    }
    let padding = filters::Padding::from_name(padding).ok_or_else(|| {
        PyValueError::new_err(format!(
            "padding must be constant, nearest, wrap or reflect, not {padding:?}"
        ))
    })?;
    let dims = filters::Dims::try_from(dims).map_err(PyValueError::new_err)?;
    Ok(VolumeArgs {
        sigma,
        padding,
        dims,
    })
}

fn check_truncate(truncate: f64) -> PyResult<f64> {
    if truncate.is_finite() && truncate > 0.0 && truncate <= filters::MAX_TRUNCATE {
        Ok(truncate)
    } else {
        Err(PyValueError::new_err(format!(
            "truncate must lie in (0, {}] standard deviations, not {truncate}",
            filters::MAX_TRUNCATE
        )))
    }
}

/// Runs `f` on the borrowed volume without the GIL.
fn run_volume<'py>(
    x: &PyReadonlyArray3<'py, f32>,
    f: impl FnOnce(ndarray::ArrayView3<'_, f32>) -> Array3<f32> + Send,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let py = x.py();
    let view = x.as_array();
    let pool = crate::pool::get(None)?;
    Ok(py.detach(|| pool.install(|| f(view))).into_pyarray(py))
}

/// Gaussian filter of a (z, y, x) volume, sigma in mm per axis; with `laplace`, its
/// Laplacian (`scipy.ndimage.gaussian_laplace`). One native for both: they share every
/// argument and its checks.
#[pyfunction]
#[pyo3(name = "_gaussian", signature = (x, sigma, spacing, padding, dims, truncate, laplace))]
fn gaussian<'py>(
    x: PyReadonlyArray3<'py, f32>,
    sigma: (f64, f64, f64),
    spacing: (f64, f64, f64),
    padding: &str,
    dims: u8,
    truncate: f64,
    laplace: bool,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let a = volume_args(sigma, spacing, padding, dims)?;
    let truncate = check_truncate(truncate)?;
    let filter = if laplace {
        filters::gaussian_laplace_3d
    } else {
        filters::gaussian_3d
    };
    run_volume(&x, |v| filter(v, a.sigma, truncate, a.padding, a.dims))
}

/// Sobel gradient magnitude of a (z, y, x) volume.
#[pyfunction]
#[pyo3(name = "_sobel", signature = (x, padding, dims))]
fn sobel<'py>(
    x: PyReadonlyArray3<'py, f32>,
    padding: &str,
    dims: u8,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let a = volume_args((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), padding, dims)?;
    run_volume(&x, |v| filters::sobel_magnitude_3d(v, a.padding, a.dims))
}

/// Real Gabor response (a correlation).
#[pyfunction]
#[pyo3(name = "_gabor", signature = (x, wavelength, orientation, sigma, aspect, phase))]
fn gabor<'py>(
    x: PyReadonlyArray2<'py, f32>,
    wavelength: f64,
    orientation: f64,
    sigma: Option<f64>,
    aspect: f64,
    phase: f64,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let defaults = Gabor::default();
    let params = Gabor {
        sigma: sigma.unwrap_or(wavelength * defaults.sigma / defaults.wavelength),
        wavelength,
        orientation,
        aspect,
        phase,
    };
    params
        .validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    run(&x, |v| filters::gabor(v, &params))
}

/// Correlation with a user kernel (`scipy.ndimage.correlate`, reflect boundary).
#[pyfunction]
#[pyo3(name = "_correlate")]
fn correlate<'py>(
    x: PyReadonlyArray2<'py, f32>,
    kernel: PyReadonlyArray2<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let k = kernel.as_array();
    if k.is_empty() || k.nrows() > filters::MAX_KERNEL_SIDE || k.ncols() > filters::MAX_KERNEL_SIDE
    {
        return Err(PyValueError::new_err(format!(
            "kernel must be non-empty and at most {side} x {side}, not {:?}",
            k.shape(),
            side = filters::MAX_KERNEL_SIDE
        )));
    }
    run(&x, |v| filters::correlate(v, k))
}
