"""``medprep.Pipeline`` in series mode: scans and their masks in, one row per ROI out.

The series are written with pydicom (``synthetic_series``: int16 stored values,
RescaleSlope 1.5, RescaleIntercept -1024) and their masks by highdicom, so the HU values
and the ROI are known here without medprep; the statistics are numpy's over those
voxels (population variance, linear percentiles), to 1e-9 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import medprep

pytest.importorskip("highdicom")
pydicom = pytest.importorskip("pydicom")

from synthetic_series import COLS, ROWS, pixels, write_seg, write_stack  # noqa: E402

SLICES = 6
RECIPE = {
    "name": "series-pipeline-test",
    "series": {
        "families": ["first-order", "intensity-histogram"],
        "discretisation": {"bin-width": 50.0},
    },
}


def scan(folder: Path, series_uid: str, z0: float) -> tuple:
    """A series in `folder` and its HU values (z, y, x) as written."""
    write_stack(folder, [(1.0, 2.0, z0 + 2.0 * k) for k in range(SLICES)],
                series_uid=series_uid, seed=5)
    hu = np.stack([pixels(k).astype(np.float64) * 1.5 - 1024 for k in range(SLICES)])
    return hu


def segmented(folder: Path, series_uid: str, z0: float, seed: int):
    """A series with a SEG of one random segment "lesion"; its HU values and mask."""
    hu = scan(folder, series_uid, z0)
    sources = sorted((pydicom.dcmread(p) for p in folder.glob("*.dcm")),
                     key=lambda d: float(d.ImagePositionPatient[2]))
    mask = np.random.default_rng(seed).random((SLICES, ROWS, COLS)) < 0.5
    write_seg(folder / "seg.dcm", sources, mask.astype(np.uint8), ["lesion"])
    return hu, mask


def test_each_scan_and_roi_is_one_row_matching_numpy(tmp_path):
    first = segmented(tmp_path / "a", "2.25.81001", -20.0, seed=1)
    second = segmented(tmp_path / "b", "2.25.82001", 40.0, seed=2)
    pipeline = medprep.Pipeline(RECIPE)
    assert pipeline.kind == "series" and pipeline.device == "cpu"
    table = pipeline.run([tmp_path])
    assert table.num_rows == 2
    rows = {row["series_instance_uid"]: row for row in table.to_pylist()}
    for uid, (hu, mask) in (("2.25.81001", first), ("2.25.82001", second)):
        row = rows[uid]
        values = hu[mask]
        assert (row["roi"], row["roi_number"]) == ("lesion", 1)
        assert row["roi_voxels"] == row["intensity_voxels"] == int(mask.sum())
        for column, want in (("original_stat_mean", values.mean()),
                             ("original_stat_var", values.var()),
                             ("original_stat_median", np.median(values)),
                             ("original_stat_p90", np.percentile(values, 90)),
                             ("original_stat_max", values.max())):
            assert row[column] == pytest.approx(want, rel=1e-9, abs=1e-6), column
    assert table.column_names[:5] == [
        "patient_id", "series_instance_uid", "image_path", "temporal_position", "roi"]
    assert table.column_names[-len(pipeline.feature_names):] == pipeline.feature_names
    field = table.schema.field("original_stat_mean")
    assert field.metadata[b"ibsi_symbol"] == b"stat.mean"
    scans = pipeline.scans
    assert sorted(scans.column("series_instance_uid").to_pylist()) == ["2.25.81001",
                                                                      "2.25.82001"]
    assert scans.column("size_z").to_pylist() == [SLICES, SLICES]
    assert pipeline.errors == []


def test_a_scan_without_a_mask_is_raised_or_listed(tmp_path):
    segmented(tmp_path / "a", "2.25.83001", 0.0, seed=3)
    scan(tmp_path / "bare", "2.25.84001", 100.0)
    pipeline = medprep.Pipeline(RECIPE)
    with pytest.raises(medprep.DecodeError, match="no RTSTRUCT or SEG"):
        pipeline.run([tmp_path / "a", tmp_path / "bare"])
    table = pipeline.run([tmp_path / "a", tmp_path / "bare"], errors="skip")
    assert table.num_rows == 1
    (failure,) = pipeline.errors
    assert failure.kind == "no_mask" and failure.index == 1, failure
    assert Path(failure.image_path).parent == tmp_path / "bare"


def test_series_mode_is_refused_where_it_cannot_run(tmp_path):
    with pytest.raises(ValueError, match="CPU"):
        medprep.Pipeline(RECIPE, device="gpu")
    pipeline = medprep.Pipeline(RECIPE)
    with pytest.raises(ValueError, match="run_one"):
        pipeline.run_one(tmp_path)
    with pytest.raises(medprep.DecodeError, match="no DICOM files"):
        pipeline.run([tmp_path])
    assert medprep.Pipeline("ct-standard").scans is None
