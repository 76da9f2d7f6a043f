"""medprep.Pipeline: the same table as `medprep run`'s features.parquet, bytes inputs,
errors, recipes and devices."""

import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import medprep
from conftest import CT_SLICE, FIXTURES, MULTIFRAME, ROOT

RGB = ROOT / "fixtures" / "rgb_secondary_capture.dcm"


@pytest.fixture(scope="module")
def pipeline():
    return medprep.Pipeline("ct-standard")


@pytest.fixture(scope="module")
def cli_features(medprep_cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    paths = [str(p) for p in FIXTURES]
    # Exit code 1: some image failed (the RGB fixture has no pixel spacing).
    done = subprocess.run([str(medprep_cli), "run", *paths, "--out", str(out),
                           "--recipe", "ct-standard"], capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    return pq.read_table(out / "features.parquet"), (out / "errors.jsonl").read_text()


def _by_key(table: pa.Table) -> pa.Table:
    return table.sort_by([("image_path", "ascending"), ("frame", "ascending")])


def test_table_equals_medprep_run_features_parquet(pipeline, cli_features):
    expected, cli_errors = cli_features
    got = pipeline.run([str(p) for p in FIXTURES], errors="skip")
    assert got.schema.names == expected.schema.names
    for name in ("sop_instance_uid", "patient_id", "image_path", "frame"):
        assert got.schema.field(name).type == expected.schema.field(name).type, name
    got, expected = _by_key(got), _by_key(expected)
    assert got.num_rows == expected.num_rows
    for name in expected.schema.names:
        if name in ("sop_instance_uid", "patient_id", "image_path", "frame"):
            assert got.column(name).to_pylist() == expected.column(name).to_pylist(), name
        else:
            # Same code on the same values: identical bits.
            np.testing.assert_array_equal(got.column(name).to_numpy(),
                                          expected.column(name).to_numpy(), err_msg=name)
    assert [f.image_path for f in pipeline.errors] == [str(RGB)]
    assert str(RGB) in cli_errors


def test_rows_are_in_input_order_one_per_frame(pipeline):
    table = pipeline.run([MULTIFRAME, CT_SLICE])
    assert table.column("frame").to_pylist() == [0, 1, 2, 3, 0]
    assert table.column("image_path").to_pylist() == [str(MULTIFRAME)] * 4 + [str(CT_SLICE)]
    assert table.schema.field("frame").type == pa.int32()
    assert all(table.schema.field(n).type == pa.float64() for n in pipeline.feature_names)


def test_bytes_items_give_the_same_features(pipeline):
    from_path = pipeline.run([CT_SLICE])
    from_bytes = pipeline.run([b"", CT_SLICE.read_bytes()], errors="skip")
    assert from_bytes.column("image_path").to_pylist() == ["<bytes #1>"]
    for name in pipeline.feature_names:
        np.testing.assert_array_equal(from_bytes.column(name).to_numpy(),
                                      from_path.column(name).to_numpy(), err_msg=name)
    assert [(f.index, f.kind) for f in pipeline.errors] == [(0, "not_dicom")]


def test_run_one_returns_dicts(pipeline):
    one = pipeline.run_one(CT_SLICE)
    assert list(one) == pipeline.feature_names
    table = pipeline.run([CT_SLICE])
    assert one["log_s2_p90"] == table.column("log_s2_p90")[0].as_py()
    assert np.isfinite(one["log_s2_p90"])
    frames = pipeline.run_one(MULTIFRAME)
    assert isinstance(frames, list) and len(frames) == 4


def test_errors_raise_by_default(pipeline):
    with pytest.raises(medprep.DecodeError, match="missing required attribute PixelSpacing"):
        pipeline.run([CT_SLICE, RGB])
    with pytest.raises(medprep.DecodeError, match="not a DICOM file"):
        pipeline.run_one(b"nope")
    with pytest.raises(ValueError, match="errors must be"):
        pipeline.run([CT_SLICE], errors="ignore")
    with pytest.raises(TypeError, match="run_one"):
        pipeline.run(str(CT_SLICE))
    with pytest.raises(ValueError, match="jobs"):
        pipeline.run([CT_SLICE], jobs=0)


def test_the_error_raised_is_the_first_in_input_order(pipeline):
    items = [CT_SLICE] * 6 + [RGB, b"not dicom"] + [CT_SLICE] * 6
    for _ in range(5):
        with pytest.raises(medprep.DecodeError, match="PixelSpacing"):
            pipeline.run(items, jobs=2)


def test_jobs_do_not_change_results(pipeline):
    items = [str(p) for p in FIXTURES if p != RGB]
    one, two = pipeline.run(items, jobs=1), pipeline.run(items, jobs=2)
    assert one.num_rows == two.num_rows == 10
    for name in one.column_names:
        # NaN-aware equality: constant maps have no skewness.
        np.testing.assert_array_equal(one.column(name).to_numpy(zero_copy_only=False),
                                      two.column(name).to_numpy(zero_copy_only=False),
                                      err_msg=name)


def test_recipes_from_dict_and_file(tmp_path, pipeline):
    recipe = {
        "name": "small",
        "normalize": {"mode": "window", "window": "ct-soft-tissue"},
        "maps": [{"kind": "original"}],
        "features": {"families": ["first-order"]},
    }
    small = medprep.Pipeline(recipe)
    assert small.feature_names == [n for n in pipeline.feature_names
                                   if n.startswith("original_")][:18]
    path = tmp_path / "recipe.toml"
    path.write_text(pipeline.recipe_toml)
    assert medprep.Pipeline(path).feature_names == pipeline.feature_names
    assert medprep.Pipeline(str(path)).feature_names == pipeline.feature_names
    with pytest.raises(medprep.RecipeError, match="no preset recipe named"):
        medprep.Pipeline("ct-nonsense")
    with pytest.raises(medprep.RecipeError, match="recipe key"):
        medprep.Pipeline({"name": "x", "resample": {"spacing": [1.0, 1.0],
                                                    "interpolator": "bilinear"}})


def test_devices(monkeypatch):
    cpu = medprep.Pipeline(device="cpu")
    assert (cpu.device, cpu.device_note) == ("cpu", "device cpu")
    auto = medprep.Pipeline(device="auto")
    assert auto.device in ("cpu", "gpu")
    assert auto.device_note.startswith(f"device auto: {auto.device}"), auto.device_note
    with pytest.raises(ValueError, match="device must be"):
        medprep.Pipeline(device="tpu")
    # A backend this platform lacks has no adapter: gpu refuses, auto takes the CPU.
    monkeypatch.setenv("WGPU_BACKEND", "dx12" if sys.platform == "darwin" else "metal")
    with pytest.raises(ValueError, match='device "gpu" needs a GPU and none is usable'):
        medprep.Pipeline(device="gpu")
    auto = medprep.Pipeline(device="auto")
    assert auto.device == "cpu"
    assert auto.device_note.startswith("device auto: cpu, because no GPU adapter")


# The agreement asked of GPU features (core/tests/common/feature_tolerance.rs):
# |gpu - cpu| <= ABS + REL |cpu|, except ratios whose denominator is below ILL_CONDITIONED
# of its scale (cov, qcod of zero-mean maps).
ABS, REL, ILL_CONDITIONED = 1e-4, 1e-3, 1e-2


def _ill_conditioned(name: str, row: dict) -> bool:
    map_name, _, stat = name.rpartition("_")
    if stat == "cov":
        return abs(row[f"{map_name}_mean"]) < ILL_CONDITIONED * row[f"{map_name}_variance"] ** 0.5
    if stat == "qcod":
        qcod, iqr = row[f"{map_name}_qcod"], row[f"{map_name}_iqr"]
        p25_plus_p75 = 0.0 if (np.isnan(qcod) or qcod == 0) else iqr / qcod
        return abs(p25_plus_p75) < ILL_CONDITIONED * iqr
    return False


def _gpu_pipeline() -> "medprep.Pipeline":
    try:
        gpu = medprep.Pipeline("ct-standard", device="gpu")
    except ValueError as error:
        if os.environ.get("MEDPREP_REQUIRE_GPU", "") not in ("", "0"):
            pytest.fail(f"MEDPREP_REQUIRE_GPU is set but there is no usable GPU: {error}")
        pytest.skip(f"no GPU: {error} (MEDPREP_REQUIRE_GPU=1 makes this a failure)")
    assert gpu.device == "gpu"
    assert gpu.device_note.startswith("device gpu (")
    return gpu


def _disagreements(got: list, want: list, names: list) -> tuple:
    """Features of `got` beyond the tolerance of `want`'s, and how many were compared."""
    failures, compared = [], 0
    for g, w in zip(got, want):
        for name in names:
            if _ill_conditioned(name, w):
                continue
            compared += 1
            both_nan = np.isnan(g[name]) and np.isnan(w[name])
            if not (abs(g[name] - w[name]) <= ABS + REL * abs(w[name]) or both_nan):
                failures.append(f"{w['image_path']} frame {w['frame']} {name}: "
                                f"gpu {g[name]} cpu {w[name]}")
    return failures, compared


def test_gpu_device_pipeline_matches_the_cpu():
    gpu = _gpu_pipeline()
    cpu = medprep.Pipeline("ct-standard", device="cpu")
    got = gpu.run([CT_SLICE, MULTIFRAME]).to_pylist()
    want = cpu.run([CT_SLICE, MULTIFRAME]).to_pylist()
    assert len(got) == len(want) == 5
    failures, compared = _disagreements(got, want, cpu.feature_names)
    assert compared > 700
    assert not failures, "\n".join(failures)


def test_gpu_device_batches_keep_input_order_and_failures(tmp_path):
    """On the GPU, run() decodes the inputs and runs them through one batch: rows in
    input order, the same failures as the CPU, bytes inputs too."""
    gpu = _gpu_pipeline()
    cpu = medprep.Pipeline("ct-standard", device="cpu")
    missing = str(tmp_path / "missing.dcm")
    items = [str(CT_SLICE), missing, str(MULTIFRAME), CT_SLICE.read_bytes(), str(RGB)]
    got = gpu.run(items, errors="skip")
    got_errors = gpu.errors
    want = cpu.run(items, errors="skip")
    assert got.column("image_path").to_pylist() == want.column("image_path").to_pylist()
    assert got.column("frame").to_pylist() == want.column("frame").to_pylist()
    assert got.column("image_path").to_pylist()[:2] == [str(CT_SLICE), str(MULTIFRAME)]
    assert got.num_rows == 6
    assert got_errors == cpu.errors
    assert [(f.index, f.image_path) for f in got_errors] == [(1, missing), (4, str(RGB))]
    failures, compared = _disagreements(got.to_pylist(), want.to_pylist(), cpu.feature_names)
    assert compared > 800
    assert not failures, "\n".join(failures)
    # errors="raise" raises what the CPU raises: the first failure in input order.
    with pytest.raises(medprep.MedprepError) as on_gpu:
        gpu.run(items)
    with pytest.raises(medprep.MedprepError) as on_cpu:
        cpu.run(items)
    assert (type(on_gpu.value), str(on_gpu.value)) == (type(on_cpu.value), str(on_cpu.value))
