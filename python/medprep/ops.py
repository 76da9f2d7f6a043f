"""The pipeline's CPU stages as functions on 2-D numpy arrays.

Conventions are the pipeline's (scipy.ndimage for filters: ``reflect`` boundary, Gaussian
truncated at 4 sigma; SimpleITK's grid for resampling). Input rule: a float32 array is
used as it is, without a copy (any strides); any other real numeric or boolean array is
converted to float32 first (``numpy.asarray(x, dtype=numpy.float32)``). Complex arrays,
objects and arrays that are not 2-D raise ``TypeError`` / ``ValueError``. Outputs are new
float32 arrays. The GIL is released during the computation; do not modify the input from
another thread meanwhile.

>>> import numpy as np
>>> from medprep import ops
>>> x = np.arange(16, dtype=np.float32).reshape(4, 4)
>>> ops.window(x, center=8, width=16)[0, :2]
array([0.    , 0.0625], dtype=float32)
>>> ops.gaussian(x, sigma=1.0).shape
(4, 4)
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np

from . import _native

__all__ = ["correlate", "gabor", "gaussian", "log", "resample", "sobel", "window"]

Pair = Union[float, Tuple[float, float]]


def _as_f32_2d(x: object, name: str = "x") -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, not dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D, not {array.ndim}-D with shape {array.shape}")
    return array if array.dtype == np.float32 else array.astype(np.float32)


def _pair(value: Pair, name: str) -> Tuple[float, float]:
    if np.ndim(value) == 0:
        return (float(value), float(value))  # type: ignore[arg-type]
    pair = tuple(float(v) for v in value)  # type: ignore[union-attr]
    if len(pair) != 2:
        raise ValueError(f"{name} must be a number or a (row, column) pair, not {value!r}")
    return pair  # type: ignore[return-value]


def window(x: np.ndarray, center: float, width: float, invert: bool = False) -> np.ndarray:
    """Intensity window: ``clip((x - (center - width/2)) / width, 0, 1)``; ``invert`` gives
    ``1 - that`` (MONOCHROME1 display).

    >>> ops.window(np.array([[-1000.0, 40.0, 1000.0]]), center=40, width=400)
    array([[0. , 0.5, 1. ]], dtype=float32)
    """
    return _native._window(_as_f32_2d(x), float(center), float(width), bool(invert))


def resample(x: np.ndarray, spacing: Pair, target_spacing: Optional[Pair] = None,
             size: Optional[Tuple[int, int]] = None, interpolator: str = "linear") -> np.ndarray:
    """Resamples onto SimpleITK's grid: to ``target_spacing`` (mm; output size
    ``round(n * spacing / target_spacing)``) or to ``size`` ``(rows, cols)``; give exactly
    one. ``spacing`` is the input's ``(row, column)`` spacing (or one number for both).
    ``interpolator``: ``nearest``, ``linear``, ``cubic`` (Catmull-Rom) or ``lanczos3``.

    >>> ops.resample(np.zeros((100, 100), np.float32), spacing=0.5, target_spacing=1.0).shape
    (50, 50)
    """
    target = None if target_spacing is None else _pair(target_spacing, "target_spacing")
    out_size = None if size is None else (int(size[0]), int(size[1]))
    return _native._resample(_as_f32_2d(x), _pair(spacing, "spacing"), target, out_size,
                             str(interpolator))


def gaussian(x: np.ndarray, sigma: Pair) -> np.ndarray:
    """Gaussian filter (``scipy.ndimage.gaussian_filter``, mode ``reflect``, truncate 4);
    ``sigma`` in pixels, one number or ``(row, column)``.

    >>> ops.gaussian(np.ones((8, 8)), sigma=2.0)[4, 4]
    np.float32(1.0)
    """
    return _native._gaussian(_as_f32_2d(x), _pair(sigma, "sigma"))


def log(x: np.ndarray, sigma: float) -> np.ndarray:
    """Laplacian of Gaussian (``scipy.ndimage.gaussian_laplace``, not scale-normalised).

    >>> spot = np.zeros((9, 9)); spot[4, 4] = 1.0
    >>> bool(ops.log(spot, sigma=1.0)[4, 4] < 0)
    True
    """
    return _native._log(_as_f32_2d(x), float(sigma))


def sobel(x: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude ``hypot(sobel_rows, sobel_cols)`` with scipy's
    unnormalised kernels.

    >>> ops.sobel(np.tile(np.arange(4.0), (4, 1)))[1, 1]
    np.float32(8.0)
    """
    return _native._sobel(_as_f32_2d(x))


def gabor(x: np.ndarray, wavelength: float, orientation: float, sigma: Optional[float] = None,
          aspect: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """Real Gabor response, a correlation with the kernel
    ``exp(-(x'^2 + aspect^2 y'^2) / (2 sigma^2)) * cos(2 pi x' / wavelength + phase)``
    (``x'`` along ``orientation``, radians, clockwise from the column axis; the kernel
    peaks at 1 as OpenCV's). ``sigma`` defaults to ``0.5625 * wavelength`` (one octave).

    >>> ops.gabor(np.zeros((16, 16)), wavelength=4.0, orientation=0.0).max()
    np.float32(0.0)
    """
    return _native._gabor(_as_f32_2d(x), float(wavelength), float(orientation),
                          None if sigma is None else float(sigma), float(aspect), float(phase))


def correlate(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlation with ``kernel`` (``scipy.ndimage.correlate``, mode ``reflect``).

    >>> ops.correlate(np.ones((4, 4)), np.ones((3, 3)))[0, 0]
    np.float32(9.0)
    """
    return _native._correlate(_as_f32_2d(x), _as_f32_2d(kernel, "kernel"))
