"""medprep.ops.gaussian, log and sobel on volumes (z, y, x) against scipy.ndimage, and
series mode's filter maps against first-order statistics in numpy of scipy's responses.

Reference: ``scipy.ndimage.gaussian_filter``, ``gaussian_laplace`` and ``sobel`` run in
float64 on the same float32 input, with ``sigma = sigma_mm / spacing`` per axis (scipy's
unit is the voxel), the same ``mode`` and ``truncate``; ``dims=2`` against scipy applied to
every z slice. medprep rounds each 1-D pass to float32 as scipy does on a float32 array,
so the allowed difference is float32 round-off: at most ``TOLERANCE`` times the largest
magnitude of the reference response, at every voxel.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

import medprep
from medprep import features, ops
from test_features import _numpy_reference

TOLERANCE = 1e-5
MODES = ["constant", "nearest", "wrap", "reflect"]
# Anisotropic voxels (z, y, x) mm, as a CT with thick slices.
SPACING = (3.0, 0.8, 1.2)


def _structured() -> np.ndarray:
    """A bright ball on a ramp with a checkerboard: edges in every direction."""
    z, y, x = np.mgrid[:10, :24, :20].astype(np.float64)
    ball = ((z - 4) ** 2 * 4 + (y - 11) ** 2 + (x - 8) ** 2 < 36) * 300.0
    checker = ((z // 3 + y // 4 + x // 5) % 2) * 50.0
    return (ball + checker + 2.0 * x - 1000.0).astype(np.float32)


VOLUMES = {
    # 7 slices: kernels along z are longer than the axis, so the extension repeats.
    "random": np.random.default_rng(19).normal(0.0, 100.0, (7, 19, 23)).astype(np.float32),
    "structured": _structured(),
}


def _close(got: np.ndarray, expected: np.ndarray) -> float:
    """Asserts the voxelwise bound and returns the worst difference relative to scale."""
    assert got.dtype == np.float32
    assert got.shape == expected.shape
    scale = float(np.abs(expected).max())
    error = np.abs(got.astype(np.float64) - expected)
    worst = np.unravel_index(np.argmax(error), error.shape)
    assert error[worst] <= TOLERANCE * scale, (
        f"at {worst}: got {got[worst]}, expected {expected[worst]} (scale {scale})"
    )
    return float(error[worst] / scale)


def _per_slice(f, x: np.ndarray) -> np.ndarray:
    return np.stack([f(s) for s in x.astype(np.float64)])


def _sobel_reference(x: np.ndarray, mode: str, axes) -> np.ndarray:
    return np.sqrt(sum(ndi.sobel(x, a, mode=mode) ** 2 for a in axes))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(VOLUMES))
def test_gaussian_in_mm_is_scipy_in_voxels(name, mode):
    x = VOLUMES[name]
    sigma_vox = 1.5 / np.array(SPACING)
    expected = ndi.gaussian_filter(x.astype(np.float64), sigma_vox, mode=mode, truncate=4.0)
    _close(ops.gaussian(x, 1.5, spacing=SPACING, padding=mode), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(VOLUMES))
def test_log_in_mm_is_scipy_gaussian_laplace_in_voxels(name, mode):
    x = VOLUMES[name]
    sigma_mm = (3.0, 1.6, 2.0)
    sigma_vox = np.array(sigma_mm) / np.array(SPACING)
    expected = ndi.gaussian_laplace(x.astype(np.float64), sigma_vox, mode=mode, truncate=4.0)
    _close(ops.log(x, sigma_mm, spacing=SPACING, padding=mode), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(VOLUMES))
def test_sobel_is_the_magnitude_of_scipy_sobels(name, mode):
    x = VOLUMES[name]
    expected = _sobel_reference(x.astype(np.float64), mode, range(3))
    _close(ops.sobel(x, padding=mode), expected)


@pytest.mark.parametrize("mode", MODES)
def test_dims_2_is_scipy_on_every_slice(mode):
    x = VOLUMES["structured"]
    sigma_yx = np.array([1.6, 2.0]) / np.array(SPACING[1:])
    _close(ops.gaussian(x, (2.0, 1.6, 2.0), spacing=SPACING, padding=mode, dims=2),
           _per_slice(lambda s: ndi.gaussian_filter(s, sigma_yx, mode=mode), x))
    _close(ops.log(x, (0.0, 1.6, 2.0), spacing=SPACING, padding=mode, dims=2),
           _per_slice(lambda s: ndi.gaussian_laplace(s, sigma_yx, mode=mode), x))
    _close(ops.sobel(x, padding=mode, dims=2),
           _per_slice(lambda s: _sobel_reference(s, mode, range(2)), x))


@pytest.mark.parametrize("truncate", [1.0, 2.5, 6.0])
def test_truncate_is_scipys(truncate):
    x = VOLUMES["random"]
    expected = ndi.gaussian_laplace(x.astype(np.float64), 1.3, mode="nearest", truncate=truncate)
    _close(ops.log(x, 1.3, padding="nearest", truncate=truncate), expected)
    expected = ndi.gaussian_filter(x.astype(np.float64), 2.2, mode="wrap", truncate=truncate)
    _close(ops.gaussian(x, 2.2, padding="wrap", truncate=truncate), expected)


def test_a_volume_brings_its_spacing_in_x_y_z_order():
    x = VOLUMES["structured"]
    volume = medprep.Volume(x, spacing=(SPACING[2], SPACING[1], SPACING[0]))
    sigma_vox = 2.0 / np.array(SPACING)
    expected = ndi.gaussian_laplace(x.astype(np.float64), sigma_vox, mode="reflect")
    _close(ops.log(volume, 2.0), expected)
    np.testing.assert_array_equal(ops.gaussian(volume, 2.0), ops.gaussian(x, 2.0, spacing=SPACING))
    np.testing.assert_array_equal(ops.sobel(volume), ops.sobel(x))
    with pytest.raises(ValueError, match="carries its spacing"):
        ops.gaussian(volume, 2.0, spacing=SPACING)


def test_images_take_the_new_keywords_too():
    image = VOLUMES["random"][3]
    expected = ndi.gaussian_filter(image.astype(np.float64), (1.0, 2.5), mode="constant",
                                   truncate=3.0)
    _close(ops.gaussian(image, 2.0, spacing=(2.0, 0.8), padding="constant", truncate=3.0),
           expected)
    _close(ops.sobel(image, padding="wrap"),
           _sobel_reference(image.astype(np.float64), "wrap", range(2)))


def test_bad_arguments_are_value_errors():
    x = VOLUMES["random"]
    with pytest.raises(ValueError, match="padding must be"):
        ops.gaussian(x, 1.0, padding="mirror")
    with pytest.raises(ValueError, match="dims=3 needs"):
        ops.sobel(x[0], dims=3)
    with pytest.raises(ValueError, match="dims must be 2 or 3"):
        ops.log(x, 1.0, dims=1)
    with pytest.raises(ValueError, match="one per array axis"):
        ops.gaussian(x, (1.0, 2.0))
    with pytest.raises(ValueError, match="sigma must be"):
        ops.log(x, -1.0)
    with pytest.raises(ValueError, match="spacing must be"):
        ops.gaussian(x, 1.0, spacing=(1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="truncate must"):
        ops.gaussian(x, 1.0, truncate=0.0)
    with pytest.raises(ValueError, match="2-D or 3-D"):
        ops.sobel(np.zeros((2, 2, 2, 2), np.float32))


# (compute_volume key stem, _numpy_reference key) for the 18 first-order statistics.
FIRST_ORDER = [
    ("mean", "mean"), ("var", "variance"), ("skew", "skewness"), ("kurt", "kurtosis"),
    ("median", "median"), ("min", "minimum"), ("p10", "p10"), ("p90", "p90"),
    ("max", "maximum"), ("iqr", "iqr"), ("range", "range"), ("mad", "mad"),
    ("rmad", "rmad"), ("medad", "medad"), ("cov", "cov"), ("qcod", "qcod"),
    ("energy", "energy"), ("rms", "rms"),
]


def test_series_filters_add_first_order_statistics_of_the_response():
    """Series mode (``[series] filters``) against numpy first-order statistics of scipy's
    response over the re-segmented mask: the filter sees the whole image, the mask is
    re-segmented on the image's intensities. Statistics of a float32 response against
    float64 scipy: relative 1e-4, or 1e-4 of the response's scale for values near 0."""
    image = VOLUMES["structured"]
    mask = np.zeros(image.shape, bool)
    mask[2:8, 4:20, 3:17] = True
    low = -990.0
    volume = medprep.Volume(image, spacing=(SPACING[2], SPACING[1], SPACING[0]))
    specs = [
        ({"kind": "log", "sigma-mm": 1.5}, "log_sigma_1p5mm",
         ndi.gaussian_laplace(image.astype(np.float64), 1.5 / np.array(SPACING))),
        ({"kind": "gaussian", "sigma-mm": 2.0, "padding": "nearest", "dims": 2},
         "gaussian_sigma_2mm_2d_nearest",
         _per_slice(lambda s: ndi.gaussian_filter(s, 2.0 / np.array(SPACING[1:]),
                                                  mode="nearest"), image)),
        ({"kind": "sobel", "padding": "constant"}, "sobel_constant",
         _sobel_reference(image.astype(np.float64), "constant", range(3))),
    ]
    got = features.compute_volume(volume, mask, bins=16, resegment_range=(low, 1e9),
                                  filters=[spec for spec, _, _ in specs])
    plain = features.compute_volume(volume, mask, bins=16, resegment_range=(low, 1e9))
    assert {k: got[k] for k in plain} == plain
    assert len(got) == len(plain) + 3 * 18
    inside = mask & (image >= low)
    assert 0 < inside.sum() < mask.sum()
    for _, map_name, response in specs:
        expected = _numpy_reference(response[inside], bins=16)
        scale = float(np.abs(response[inside]).max())
        for stem, key in FIRST_ORDER:
            column = f"{map_name}_stat_{stem}"
            allowed = 1e-4 * (scale ** 2 * inside.sum() if stem == "energy" else scale)
            assert got[column] == pytest.approx(expected[key], rel=1e-4, abs=allowed), column
