"""IBSI statistics of numpy arrays: ``compute``, what the slice pipeline computes per
feature map, and ``compute_volume``, what series mode computes per scan ROI.

>>> import numpy as np
>>> from medprep import features
>>> stats = features.compute(np.array([[1.0, 2.0], [3.0, 4.0]]), bins=4)
>>> stats["mean"], stats["range"]
(2.5, 3.0)
"""

from __future__ import annotations

import json
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native

__all__ = ["compute", "compute_volume"]


class _DefaultBins(int):
    """The default of ``bins`` (64), told apart from an explicit 64 so that ``bin_width``
    alone is enough."""

    def __repr__(self) -> str:
        return "64"


_DEFAULT_BINS = _DefaultBins(64)


def compute(image: np.ndarray, mask: Optional[np.ndarray] = None, *, bins: Optional[int] = _DEFAULT_BINS,
            bin_width: Optional[float] = None) -> Dict[str, float]:
    """Every IBSI statistic of ``image`` (1-D, 2-D or a 3-D slice stack), in a fixed order:
    first-order (``mean`` ... ``rms``), histogram (``entropy``, ``uniformity``) and, for 2-D
    and 3-D input, GLCM features (2-D, 4 directions, distance 1, averaged).

    ``mask`` (same shape; boolean, or numbers where non-zero means inside) restricts every
    statistic to the ROI. Discretisation for histogram and GLCM: ``bins`` fixed bin number
    over the ROI's min..max (default 64), or ``bin_width`` (fixed bin width from the ROI
    minimum), or neither (``bins=None``): the values must then be integer grey levels. ``image`` is used as
    float32 (other dtypes are converted).

    Raises :class:`medprep.StatsError` (empty ROI, non-finite values, ...) and
    ``ValueError`` when both ``bins`` and ``bin_width`` are given.

    >>> mask = np.array([[True, True], [False, True]])
    >>> features.compute(np.array([[1.0, 2.0], [3.0, 4.0]]), mask, bins=4)["maximum"]
    4.0
    """
    values = np.asarray(image)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"image must be a real numeric array, not dtype {values.dtype}")
    if values.dtype != np.float32:
        values = values.astype(np.float32)
    roi = None
    if mask is not None:
        roi = np.asarray(mask)
        if roi.dtype != np.bool_:
            roi = roi != 0
    if bin_width is not None and bins is _DEFAULT_BINS:
        bins = None
    if bins is not None and bin_width is not None:
        raise ValueError("give bins or bin_width, not both")
    return _native._compute(values, roi, None if bins is None else int(bins),
                            None if bin_width is None else float(bin_width))


_FAMILIES = ("first-order", "intensity-histogram", "glcm")


def compute_volume(image: Union[np.ndarray, "_native.Volume"], mask: Union[np.ndarray, "_native.Volume"], *,
                   bins: Optional[int] = None, bin_width: Optional[float] = None,
                   texture: str = "3d", resegment_range: Optional[Tuple[float, float]] = None,
                   outliers: Optional[float] = None, spacing: Optional[Sequence[float]] = None,
                   round_intensities: bool = False,
                   families: Sequence[str] = _FAMILIES,
                   filters: Sequence[Mapping[str, object]] = ()) -> Dict[str, float]:
    """IBSI features of the ROI ``mask`` of a 3-D ``image`` (numpy (z, y, x), or a
    :class:`medprep.Volume`), exactly as series mode (``medprep run`` with a ``[series]``
    recipe) computes them; keys are the ``features.parquet`` columns, e.g.
    ``original_stat_mean``, ``original_ih_entropy``, ``original_cm_joint_max_3d_avg``.

    The chain, in IBSI's order: resampling to ``spacing`` (x, y, z mm, or (x, y) to keep
    the slices; needs a Volume for its geometry), intensity rounding, re-segmentation
    (``resegment_range``, then ``outliers`` standard deviations), discretisation
    (``bins`` fixed bin number, ``bin_width`` fixed bin width counted from the range's
    lower bound, or neither: the values are the grey levels), then the families:
    ``first-order`` (18), ``intensity-histogram`` (23) and ``glcm`` (25 per
    aggregation: ``texture="2d"`` gives "2D, averaged", "2D, slice-merged",
    "2.5D, direction-merged" and "2.5D, merged"; ``"3d"`` gives "3D, averaged" and
    "3D, merged"). The IBSI code, symbol and aggregation of every key are listed by
    ``medprep recipe features``.

    ``filters`` are the ``[series]`` recipe's filter tables as dicts, e.g.
    ``{"kind": "log", "sigma-mm": 1.5}``, ``{"kind": "sobel", "padding": "constant"}``
    (keys ``kind``, ``sigma-mm``, ``padding``, ``dims``, ``truncate``): each filters the
    resampled, rounded image and adds the 18 first-order statistics of its response over
    the re-segmented ROI, keys ``<map>_stat_*`` such as ``log_sigma_1p5mm_stat_mean``.

    Raises :class:`medprep.StatsError` (empty ROI, nothing left after re-segmentation,
    too many grey levels) and ``ValueError`` for bad settings.

    >>> import numpy as np
    >>> image = np.arange(27, dtype=np.float32).reshape(3, 3, 3) % 4
    >>> out = compute_volume(image, np.ones((3, 3, 3), bool), texture="3d")
    >>> out["original_stat_max"], len(out)
    (3.0, 91)
    """
    volume_spacing = (1.0, 1.0, 1.0)
    if isinstance(image, _native.Volume):
        volume_spacing = image.spacing
        image = image.pixels
    elif spacing is not None:
        raise ValueError("resampling needs the image's geometry: pass a medprep.Volume")
    if isinstance(mask, _native.Volume):
        mask = mask.pixels
    values = np.ascontiguousarray(image, dtype=np.float32)
    roi = np.asarray(mask)
    roi = np.ascontiguousarray(roi if roi.dtype == np.bool_ else roi != 0)
    if bins is not None and bin_width is not None:
        raise ValueError("give bins or bin_width, not both")
    discretisation: object = "none"
    if bins is not None:
        discretisation = {"bins": int(bins)}
    elif bin_width is not None:
        discretisation = {"bin-width": float(bin_width)}
    settings: Dict[str, object] = {
        "families": list(families),
        "discretisation": discretisation,
        "texture": texture,
        "round_intensities": bool(round_intensities),
        "montage": False,
        "resegment": {},
    }
    if resegment_range is not None:
        settings["resegment"] = {"range": [float(resegment_range[0]), float(resegment_range[1])]}
    if outliers is not None:
        settings["resegment"] = {**settings["resegment"], "outliers": float(outliers)}  # type: ignore[dict-item]
    if spacing is not None:
        settings["resample"] = {"spacing": [float(s) for s in spacing]}
    if filters:
        settings["filters"] = [dict(f) for f in filters]
    pairs, _, _ = _native._compute_volume(values, roi, tuple(volume_spacing), json.dumps(settings))
    return dict(pairs)
