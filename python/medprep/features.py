"""IBSI statistics of numpy arrays, the same the pipeline computes per feature map.

>>> import numpy as np
>>> from medprep import features
>>> stats = features.compute(np.array([[1.0, 2.0], [3.0, 4.0]]), bins=4)
>>> stats["mean"], stats["range"]
(2.5, 3.0)
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from . import _native

__all__ = ["compute"]


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
