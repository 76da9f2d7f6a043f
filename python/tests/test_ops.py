"""medprep.ops against scipy.ndimage (and scikit-image's Gabor kernel) on the CT fixture
and on random images."""

import numpy as np
import pydicom
import pytest
import scipy.ndimage as ndi
from skimage.filters import gabor_kernel

from medprep import ops
from conftest import CT_SLICE

# float32 results against scipy's float64 computation, relative to the image's scale.
FILTER_TOLERANCE = 1e-5
WINDOW_TOLERANCE = 1e-6
RESAMPLE_TOLERANCE = 1e-5


def _windowed_ct() -> np.ndarray:
    ds = pydicom.dcmread(CT_SLICE)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    return np.clip((hu - (40 - 200)) / 400, 0, 1).astype(np.float32)


IMAGES = {
    "ct": _windowed_ct(),
    "random": np.random.default_rng(7).normal(size=(61, 47)).astype(np.float32),
}


def _close(got, expected, tolerance):
    assert got.dtype == np.float32
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))
    error = np.abs(got.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(error), error.shape)
    assert error[worst] <= tolerance * scale, (
        f"at {worst}: got {got[worst]}, expected {expected[worst]}"
    )


def test_window_matches_the_formula():
    ds = pydicom.dcmread(CT_SLICE)
    hu = ds.pixel_array.astype(np.float32)
    expected = np.clip((hu.astype(np.float64) - (40 - 200)) / 400, 0, 1)
    _close(ops.window(hu, 40, 400), expected, WINDOW_TOLERANCE)
    _close(ops.window(hu, 40, 400, invert=True), 1 - expected, WINDOW_TOLERANCE)


@pytest.mark.parametrize("name", IMAGES)
@pytest.mark.parametrize("sigma", [1.0, 2.5, (1.0, 3.0)])
def test_gaussian_is_scipy_gaussian_filter(name, sigma):
    x = IMAGES[name]
    expected = ndi.gaussian_filter(x.astype(np.float64), sigma, mode="reflect", truncate=4.0)
    _close(ops.gaussian(x, sigma), expected, FILTER_TOLERANCE)


@pytest.mark.parametrize("name", IMAGES)
@pytest.mark.parametrize("sigma", [1.0, 2.0, 4.0])
def test_log_is_scipy_gaussian_laplace(name, sigma):
    x = IMAGES[name]
    expected = ndi.gaussian_laplace(x.astype(np.float64), sigma, mode="reflect", truncate=4.0)
    _close(ops.log(x, sigma), expected, FILTER_TOLERANCE)


@pytest.mark.parametrize("name", IMAGES)
def test_sobel_is_hypot_of_scipy_sobels(name):
    x = IMAGES[name].astype(np.float64)
    expected = np.hypot(ndi.sobel(x, axis=0, mode="reflect"), ndi.sobel(x, axis=1, mode="reflect"))
    _close(ops.sobel(IMAGES[name]), expected, FILTER_TOLERANCE)


@pytest.mark.parametrize("name", IMAGES)
def test_correlate_is_scipy_correlate(name):
    kernel = np.random.default_rng(3).normal(size=(5, 4)).astype(np.float32)
    x = IMAGES[name]
    expected = ndi.correlate(x.astype(np.float64), kernel.astype(np.float64), mode="reflect")
    _close(ops.correlate(x, kernel), expected, FILTER_TOLERANCE)


@pytest.mark.parametrize("name", IMAGES)
@pytest.mark.parametrize("orientation", [0.0, 0.6, np.pi / 2])
def test_gabor_is_scikit_image_kernel_correlated_with_scipy(name, orientation):
    wavelength, sigma = 6.0, 3.0
    # scikit-image's kernel divided by its normalisation peaks at 1 like medprep's.
    kernel = gabor_kernel(1 / wavelength, theta=orientation, sigma_x=sigma, sigma_y=sigma,
                          n_stds=3).real * (2 * np.pi * sigma * sigma)
    x = IMAGES[name]
    expected = ndi.correlate(x.astype(np.float64), kernel, mode="reflect")
    _close(ops.gabor(x, wavelength, orientation, sigma=sigma), expected, FILTER_TOLERANCE)


@pytest.mark.parametrize("interpolator,order", [("nearest", 0), ("linear", 1)])
def test_resample_is_the_itk_grid(interpolator, order):
    x = IMAGES["ct"]
    out = ops.resample(x, spacing=2.8, target_spacing=1.0, interpolator=interpolator)
    assert out.shape == (358, 358)  # round(128 * 2.8 / 1.0)
    step = 1.0 / 2.8
    rows, cols = np.meshgrid(np.arange(358) * step, np.arange(358) * step, indexing="ij")
    expected = ndi.map_coordinates(x.astype(np.float64), [rows, cols], order=order,
                                   mode="nearest")
    if order == 0:
        # Exact halves may round either way; the ITK grid never lands on them here.
        np.testing.assert_array_equal(out, expected.astype(np.float32))
    else:
        _close(out, expected, RESAMPLE_TOLERANCE)


def test_resample_to_size_and_argument_checks():
    x = IMAGES["random"]
    assert ops.resample(x, spacing=(1.0, 2.0), size=(30, 20)).shape == (30, 20)
    with pytest.raises(ValueError, match="exactly one"):
        ops.resample(x, spacing=1.0)
    with pytest.raises(ValueError, match="interpolator"):
        ops.resample(x, spacing=1.0, target_spacing=2.0, interpolator="bilinear")


def test_input_conversion_rule():
    x = IMAGES["random"]
    # Other real dtypes are converted to float32 first.
    np.testing.assert_array_equal(ops.sobel(x.astype(np.float64)), ops.sobel(x))
    np.testing.assert_array_equal(ops.gaussian(x > 0, 1.0),
                                  ops.gaussian((x > 0).astype(np.float32), 1.0))
    # Strided float32 views are read as they are.
    view = x[::2, ::-1]
    np.testing.assert_array_equal(ops.gaussian(view, 1.0),
                                  ops.gaussian(np.ascontiguousarray(view), 1.0))
    with pytest.raises(ValueError, match="2-D"):
        ops.window(np.zeros((2, 3, 4), np.float32), 0.0, 1.0)
    with pytest.raises(TypeError, match="real numeric"):
        ops.sobel(np.zeros((3, 3), np.complex64))
    with pytest.raises(ValueError, match="width"):
        ops.window(x, 0.0, 0.0)
    with pytest.raises(ValueError, match="sigma"):
        ops.gaussian(x, -1.0)
