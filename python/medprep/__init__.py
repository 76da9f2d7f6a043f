"""medprep: medical image preprocessing and IBSI features, from DICOM to numpy and Arrow.

>>> import medprep
>>> image = medprep.read("fixtures/ct_slice.dcm")
>>> image.pixels.dtype, image.pixels.shape
(dtype('float32'), (128, 128))
>>> table = medprep.Pipeline("ct-standard").run(["fixtures/ct_slice.dcm"])
>>> table.num_rows
1

Everything heavy runs in Rust with the GIL released. ``medprep.ops`` holds the pipeline
stages as functions on numpy arrays and ``medprep.features`` the IBSI statistics.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Union

from . import _native
from ._native import (
    DecodeError,
    Image,
    MedprepError,
    PipelineError,
    RecipeError,
    StatsError,
    Volume,
    __version__,
    read_mask,
    read_nifti,
    write_nifti,
)

# Mesa's Vulkan device-selection layer connects to a Wayland display when a GPU is opened
# and prints errors on hosts without one; wgpu picks the adapter itself.
os.environ.setdefault("NODEVICE_SELECT", "1")

__all__ = [
    "DecodeError",
    "Failure",
    "Image",
    "MedprepError",
    "Pipeline",
    "PipelineError",
    "RecipeError",
    "StatsError",
    "Volume",
    "features",
    "ops",
    "read",
    "read_mask",
    "read_nifti",
    "read_series",
    "write_nifti",
    "__version__",
]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]


def read(source: Source, frame: Optional[int] = None) -> Image:
    """Decodes one DICOM file (a path, ``os.PathLike`` or the file's bytes).

    Returns an :class:`Image`: ``.pixels`` (float32 after the modality LUT, e.g.
    Hounsfield units, in the shape of pydicom's ``pixel_array``), ``.raw`` (the stored
    values, exactly pydicom's ``pixel_array``: same dtype, shape and values, in native
    byte order),
    ``.spacing`` (``(row, column)`` in mm, or None) and ``.meta`` (a dict of header
    fields). With ``frame``, only that zero-based frame is decoded.

    Raises :class:`DecodeError` when the input cannot be read or decoded.

    >>> image = medprep.read("fixtures/ct_slice.dcm")
    >>> image.spacing
    (2.8, 2.8)
    >>> image.meta["modality"]
    'CT'
    >>> with open("fixtures/ct_slice.dcm", "rb") as f:
    ...     same = medprep.read(f.read())
    """
    return _native.read(source, frame)


def read_series(source: Union[str, "os.PathLike[str]", List[Union[str, "os.PathLike[str]"]]],
                *, series: Optional[int] = None) -> "_native.Volume":
    """Reads a CT/MR series (a folder, or a list of slice files) as one volume.

    Slices are grouped by series, frame of reference, orientation and size, ordered by
    their position along the slice normal and stacked on SimpleITK's grid: ``.pixels``
    (float32 after the modality LUT, numpy (z, y, x)), ``.spacing``, ``.origin`` and
    ``.direction`` as ``sitk.ImageSeriesReader`` gives them, and ``.warnings`` (gantry
    tilt, localizers split off, duplicate copies dropped, files skipped). RTSTRUCT and
    SEG files are skipped. With several series in the folder, ``series`` picks one by
    index (the error lists them).

    Raises :class:`DecodeError` when the files are not one regular series (missing
    slices, uneven spacing, two slices at one position, missing geometry, colour).
    """
    return _native.read_series(source, series=series)


@dataclass(frozen=True)
class Failure:
    """One input that :meth:`Pipeline.run` could not process (with ``errors="skip"``)."""

    index: int
    """Position of the input in ``items``."""
    image_path: str
    """The path, or ``<bytes #i>`` for bytes."""
    kind: str
    """A short label: ``not_dicom``, ``io``, ``codec``, ``pipeline``, ..."""
    message: str
    """The full message, as the exception would carry it."""


class Pipeline:
    """A recipe ready to run: normalise, resample, feature maps, IBSI statistics.

    ``recipe`` is a preset name (``"ct-standard"``, see ``medprep recipe show``), a
    TOML or JSON file path, or a dict with the recipe's keys. ``device`` is ``"cpu"``,
    ``"gpu"`` (batches of inputs on any GPU adapter, software ones included; ``ValueError``
    without one: see ``docs/gpu.md`` for which stages run there) or ``"auto"``
    (a hardware GPU if there is one, else the CPU; the choice and its reason are
    ``device_note``, also logged at INFO level on the ``medprep`` logger). GPU features
    agree with the CPU's within ``1e-4 + 1e-3 * |cpu|``, not bit for bit.

    A recipe with a ``[series]`` table (such as the presets ``ibsi-ct-a`` to ``ibsi-ct-c``)
    makes a pipeline over scans (``kind == "series"``): :meth:`run` takes DICOM files and
    folders, groups them into series with their RTSTRUCT and SEG masks, and measures every
    ROI as ``medprep run`` does; it runs on the CPU.

    >>> pipeline = medprep.Pipeline("ct-standard")
    >>> pipeline.feature_names[:2]
    ['original_mean', 'original_variance']
    >>> table = pipeline.run(["fixtures/ct_slice.dcm", "fixtures/mr_slice.dcm"])
    >>> table.column_names[:4]
    ['sop_instance_uid', 'patient_id', 'image_path', 'frame']
    >>> medprep.Pipeline("ibsi-ct-a").kind
    'series'
    """

    def __init__(self, recipe: Union[str, "os.PathLike[str]", Dict[str, Any]] = "ct-standard",
                 device: str = "auto") -> None:
        self._native = _native.Pipeline(recipe, device)
        if device == "auto":
            logging.getLogger("medprep").info("%s", self._native.device_note)
        self._local = threading.local()

    @property
    def feature_names(self) -> List[str]:
        """Feature column names, ``<map>_<statistic>``, in output order."""
        return self._native.feature_names

    @property
    def device(self) -> str:
        """The device that runs the recipe: ``"cpu"`` or ``"gpu"``."""
        return self._native.device

    @property
    def device_note(self) -> str:
        """The device chosen, one line: for ``"auto"``, which one and why."""
        return self._native.device_note

    @property
    def recipe_toml(self) -> str:
        """The full recipe as TOML."""
        return self._native.recipe_toml

    @property
    def kind(self) -> str:
        """``"slices"`` (one row per frame of each image) or ``"series"`` (one row per scan
        and ROI)."""
        return self._native.kind

    @property
    def scans(self) -> Optional["pyarrow.Table"]:  # noqa: F821
        """Series mode: the scans table of this thread's last :meth:`run` (the columns of
        ``medprep run``'s ``scans.parquet`` in series mode: one row per scan, with its
        identifiers, size, spacing, origin, orientation and warnings); None before a run
        and in slice mode."""
        return getattr(self._local, "scans", None)

    @property
    def errors(self) -> List[Failure]:
        """Failures of this thread's last :meth:`run` (empty with ``errors="raise"``)."""
        return list(getattr(self._local, "errors", []))

    def __repr__(self) -> str:
        return f"<medprep.Pipeline device={self.device!r} features={len(self.feature_names)}>"

    def run(self, items: Iterable[Source], jobs: Optional[int] = None,
            errors: str = "raise") -> "pyarrow.Table":  # noqa: F821
        """Processes every item (paths, ``os.PathLike`` or DICOM bytes) in parallel.

        Returns a ``pyarrow.Table`` with the columns of ``medprep run``'s
        ``features.parquet``: ``sop_instance_uid``, ``patient_id``, ``image_path`` (the
        path as given, ``<bytes #i>`` for bytes), ``frame`` (int32), then one float64
        column per feature; one row per frame, in input order. ``.to_pandas()`` turns it
        into a DataFrame.

        ``jobs`` is the number of worker threads (default: all cores). The GIL is
        released while the work runs, so other Python threads keep going.

        ``errors="raise"`` (default) raises the error of the first failing item
        (:class:`DecodeError`, :class:`PipelineError`, or :class:`MedprepError` for an
        internal error, which fails that item alone); ``errors="skip"`` leaves failed
        items out of the table and lists them in :attr:`errors` as :class:`Failure`.

        In series mode the items are DICOM files and folders (searched recursively for
        DICOM files, as ``medprep run`` searches them). The table has the columns of
        ``medprep run``'s series-mode ``features.parquet``: one row per (scan, ROI), with
        ``roi``, ``roi_number``, the voxel counts and the features, each field carrying its
        IBSI provenance as metadata; the scans table is :attr:`scans`. A failure (an
        unreadable file, a broken series, a scan no mask refers to, an ROI that does not
        fit) is raised or, with ``errors="skip"``, listed with the index of the item its
        file was found under; an ROI whose features cannot be computed raises
        :class:`StatsError`.

        >>> table = medprep.Pipeline().run([b"not dicom", "fixtures/ct_slice.dcm"],
        ...                                errors="skip")
        >>> table.num_rows
        1
        """
        import pyarrow as pa

        if errors not in ("raise", "skip"):
            raise ValueError(f'errors must be "raise" or "skip", not {errors!r}')
        if isinstance(items, (str, bytes, bytearray, memoryview, os.PathLike)):
            raise TypeError("run() takes a list of items; use run_one() for a single one")
        if self.kind == "series":
            batch, scans, failures = self._native._run_series(list(items), jobs,
                                                              errors == "raise")
            self._local.scans = pa.Table.from_batches([scans])
        else:
            batch, failures = self._native._run(list(items), jobs, errors == "raise")
        self._local.errors = [Failure(*f) for f in failures]
        return pa.Table.from_batches([batch])

    def run_one(self, item: Source) -> Union[Dict[str, float], List[Dict[str, float]]]:
        """Features of one input: a dict ``{name: value}`` for a single-frame image, a list
        of such dicts (one per frame) for a multi-frame image. Raises on failure.

        >>> features = medprep.Pipeline().run_one("fixtures/ct_slice.dcm")
        >>> len(features), round(features["original_mean"], 3)
        (160, 0.163)
        """
        if self.kind == "series":
            raise ValueError("run_one takes one image; a series-mode pipeline runs over "
                             "scans: run([folder]) gives one row per scan and ROI")
        batch, _ = self._native._run([item], 1, True)
        names = self.feature_names
        columns = [batch.column(name).to_pylist() for name in names]
        rows = [dict(zip(names, values)) for values in zip(*columns)]
        return rows[0] if len(rows) == 1 else rows

from . import features, ops  # noqa: E402  (submodules use the names above)
