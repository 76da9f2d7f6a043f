"""The pipeline's CPU stages as functions on numpy arrays.

Conventions are the pipeline's (scipy.ndimage for filters: ``reflect`` boundary, Gaussian
truncated at 4 sigma; SimpleITK's grid for resampling). Input rule: a float32 array is
used as it is, without a copy (any strides); any other real numeric or boolean array is
converted to float32 first (``numpy.asarray(x, dtype=numpy.float32)``). Complex arrays,
objects and arrays of the wrong dimension raise ``TypeError`` / ``ValueError``. Outputs
are new float32 arrays. The GIL is released during the computation; do not modify the
input from another thread meanwhile.

:func:`gaussian`, :func:`log` and :func:`sobel` also take volumes: a numpy array
(z, y, x), or a :class:`medprep.Volume` whose spacing is used. Their keywords, as
scipy.ndimage's: ``spacing`` (mm per array axis, like scipy's ``sampling``; sigma is in
the same unit, so without it sigma is in voxels), ``padding`` (scipy's ``mode``:
``"constant"`` with zeros, ``"nearest"``, ``"wrap"``, ``"reflect"`` = IBSI's mirror),
``dims`` (3 filters along every axis, 2 filters each z slice; default: the array's
dimension) and ``truncate`` (kernel radius in sigmas).

>>> import numpy as np
>>> from medprep import ops
>>> x = np.arange(16, dtype=np.float32).reshape(4, 4)
>>> ops.window(x, center=8, width=16)[0, :2]
array([0.    , 0.0625], dtype=float32)
>>> ops.gaussian(x, sigma=1.0).shape
(4, 4)
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple, Union

import numpy as np

from . import _native

__all__ = ["correlate", "gabor", "gaussian", "log", "resample", "sobel", "window"]

Pair = Union[float, Tuple[float, float]]
PerAxis = Union[float, Sequence[float]]


def _as_f32(x: object, name: str = "x", ndims: Tuple[int, ...] = (2,)) -> np.ndarray:
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, not dtype {array.dtype}")
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {wanted}, not {array.ndim}-D with shape {array.shape}")
    return array if array.dtype == np.float32 else array.astype(np.float32)


class _Volume:
    """A filter's input as the native volume filters take it: a (z, y, x) float32 array
    (a 2-D image is the single slice of a volume filtered with ``dims=2``), spacing and
    sigma per axis in (z, y, x) order, and the dims."""

    def __init__(self, x: object, spacing: Optional[PerAxis], dims: Optional[int]) -> None:
        if isinstance(x, _native.Volume):
            if spacing is not None:
                raise ValueError("a medprep.Volume carries its spacing: do not pass spacing=")
            spacing = tuple(reversed(x.spacing))
            x = x.pixels
        array = _as_f32(x, ndims=(2, 3))
        self.dims = array.ndim if dims is None else dims
        if self.dims not in (2, 3):
            raise ValueError(f"dims must be 2 or 3, not {dims!r}")
        if self.dims > array.ndim:
            raise ValueError("dims=3 needs a 3-D array (z, y, x)")
        self.planar_image = array.ndim == 2
        self.array = array[np.newaxis] if self.planar_image else array
        self.spacing = self.per_axis(spacing, "spacing", 1.0)

    def per_axis(self, value: Optional[PerAxis], name: str, default: float) -> Tuple[float, ...]:
        """One number or one per axis of the input, as (z, y, x); an image's z gets the
        default."""
        n = 3 - self.planar_image
        if value is None:
            values: Tuple[float, ...] = (default,) * n
        elif np.ndim(value) == 0:
            values = (float(value),) * n  # type: ignore[arg-type]
        else:
            values = tuple(float(v) for v in value)  # type: ignore[union-attr]
            if len(values) != n:
                raise ValueError(f"{name} must be a number or one per array axis ({n}), "
                                 f"not {value!r}")
        return (default,) * self.planar_image + values

    def result(self, out: np.ndarray) -> np.ndarray:
        return out[0] if self.planar_image else out


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
    return _native._window(_as_f32(x), float(center), float(width), bool(invert))


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
    return _native._resample(_as_f32(x), _pair(spacing, "spacing"), target, out_size,
                             str(interpolator))


def gaussian(x: Union[np.ndarray, "_native.Volume"], sigma: PerAxis, *,
             spacing: Optional[PerAxis] = None, padding: str = "reflect",
             dims: Optional[int] = None, truncate: float = 4.0) -> np.ndarray:
    """Gaussian filter of an image (y, x) or a volume (z, y, x):
    ``scipy.ndimage.gaussian_filter(x, sigma / spacing, mode=padding, truncate=truncate)``.
    ``sigma`` is in mm (in pixels without ``spacing``), one number or one per array
    axis; with ``dims=2`` the z entry is unused.

    >>> ops.gaussian(np.ones((8, 8)), sigma=2.0)[4, 4]
    np.float32(1.0)
    >>> ops.gaussian(np.ones((4, 8, 8)), sigma=2.0, spacing=(3.0, 1.0, 1.0)).shape
    (4, 8, 8)
    """
    v = _Volume(x, spacing, dims)
    return v.result(_native._gaussian(v.array, v.per_axis(sigma, "sigma", 0.0), v.spacing,
                                      str(padding), v.dims, float(truncate), False))


def log(x: Union[np.ndarray, "_native.Volume"], sigma: PerAxis, *,
        spacing: Optional[PerAxis] = None, padding: str = "reflect",
        dims: Optional[int] = None, truncate: float = 4.0) -> np.ndarray:
    """Laplacian of Gaussian, ``scipy.ndimage.gaussian_laplace(x, sigma / spacing,
    mode=padding, truncate=truncate)``: the sum over the filtered axes of the second
    derivative of the Gaussian along each, in intensity per voxel² (not scale-normalised,
    not divided by the spacing). ``sigma`` as in :func:`gaussian`.

    >>> spot = np.zeros((9, 9)); spot[4, 4] = 1.0
    >>> bool(ops.log(spot, sigma=1.0)[4, 4] < 0)
    True
    """
    v = _Volume(x, spacing, dims)
    return v.result(_native._gaussian(v.array, v.per_axis(sigma, "sigma", 0.0), v.spacing,
                                      str(padding), v.dims, float(truncate), True))


def sobel(x: Union[np.ndarray, "_native.Volume"], *, padding: str = "reflect",
          dims: Optional[int] = None) -> np.ndarray:
    """Sobel gradient magnitude ``sqrt(sum of scipy.ndimage.sobel(x, axis, mode=padding)²)``
    over the filtered axes, with scipy's unnormalised kernels; in voxel units (spacing does
    not scale it, so a Volume's spacing is not used).

    >>> ops.sobel(np.tile(np.arange(4.0), (4, 1)))[1, 1]
    np.float32(8.0)
    """
    v = _Volume(x.pixels if isinstance(x, _native.Volume) else x, None, dims)
    return v.result(_native._sobel(v.array, str(padding), v.dims))


def gabor(x: np.ndarray, wavelength: float, orientation: float, sigma: Optional[float] = None,
          aspect: float = 1.0, phase: float = 0.0) -> np.ndarray:
    """Real Gabor response, a correlation with the kernel
    ``exp(-(x'^2 + aspect^2 y'^2) / (2 sigma^2)) * cos(2 pi x' / wavelength + phase)``
    (``x'`` along ``orientation``, radians, clockwise from the column axis; the kernel
    peaks at 1 as OpenCV's). ``sigma`` defaults to ``0.5625 * wavelength`` (one octave).

    >>> ops.gabor(np.zeros((16, 16)), wavelength=4.0, orientation=0.0).max()
    np.float32(0.0)
    """
    return _native._gabor(_as_f32(x), float(wavelength), float(orientation),
                          None if sigma is None else float(sigma), float(aspect), float(phase))


def correlate(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Correlation with ``kernel`` (``scipy.ndimage.correlate``, mode ``reflect``).

    >>> ops.correlate(np.ones((4, 4)), np.ones((3, 3)))[0, 0]
    np.float32(9.0)
    """
    return _native._correlate(_as_f32(x), _as_f32(kernel, "kernel"))
