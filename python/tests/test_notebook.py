"""docs/notebooks/quickstart.ipynb runs in a Jupyter kernel without errors and shows what
pydicom and `medprep run` say about the same files."""

import copy
import re
import subprocess

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pydicom
import pytest

from conftest import CT_SLICE, ROOT

NOTEBOOK = ROOT / "docs" / "notebooks" / "quickstart.ipynb"
CELL_TIMEOUT_S = 120
# The notebook prints float32 pixel statistics, pydicom's are float64.
HU_STAT_TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    base = tmp_path_factory.mktemp("jupyter")
    patch = pytest.MonkeyPatch()
    # Kernel state and connection files in a scratch folder, not the home directory;
    # platformdirs paths (the coming default) without jupyter_core's deprecation warning.
    patch.setenv("IPYTHONDIR", str(base / "ipython"))
    patch.setenv("JUPYTER_RUNTIME_DIR", str(base / "runtime"))
    patch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    try:
        import nbformat
        from nbclient import NotebookClient

        saved = nbformat.read(NOTEBOOK, as_version=4)
        run = copy.deepcopy(saved)
        NotebookClient(run, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        patch.undo()
    return saved, run


def _text(cell) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "execute_result":
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def _output(notebook, needle: str) -> str:
    """The text output of the first code cell whose source contains `needle`."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and needle in cell.source:
            return _text(cell)
    raise AssertionError(f"no code cell with {needle!r}")


def test_saved_without_outputs(executed):
    saved, _ = executed
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_runs_without_errors(executed):
    _, run = executed
    errors = [o for c in run.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in run.cells if c.cell_type == "code")


def test_header_and_pixels_match_pydicom(executed):
    _, run = executed
    ds = pydicom.dcmread(CT_SLICE)
    header = _output(run, "medprep.read(")
    assert f"sop_instance_uid: {ds.SOPInstanceUID}\n" in header
    assert f"patient_id: {ds.PatientID}\n" in header
    assert f"rows: {ds.Rows}\n" in header
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    stats = _output(run, "hu.std(")
    assert f"shape {hu.shape}, float32" in stats
    match = re.search(r"min (\S+), max (\S+), mean (\S+), std (\S+)", stats)
    assert match, stats
    got = np.array([float(v) for v in match.groups()])
    want = np.array([hu.min(), hu.max(), hu.mean(), hu.std()])
    np.testing.assert_allclose(got, want, rtol=0, atol=HU_STAT_TOLERANCE)


def test_pipeline_table_matches_medprep_run(executed, medprep_cli, tmp_path):
    _, run = executed
    fixtures = sorted((ROOT / "fixtures").glob("*.dcm"))
    done = subprocess.run([str(medprep_cli), "run", "fixtures", "--out", str(tmp_path),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the RGB fixture fails, as in the notebook
    features = pq.read_table(tmp_path / "features.parquet")
    text = _output(run, "pipeline.run(")
    assert f"{features.num_rows} rows x {features.num_columns} columns from {len(fixtures)} files" in text
    assert "failed: fixtures/rgb_secondary_capture.dcm (missing_attribute)" in text
    rows = features.filter(pc.equal(features["image_path"], "fixtures/ct_slice.dcm"))
    assert f"ct_slice original_mean = {rows.column('original_mean')[0].as_py()!r}" in text
    frame = _output(run, "to_pandas()")
    assert "fixtures/multiframe_ct.dcm" in frame and "original_mean" in frame
