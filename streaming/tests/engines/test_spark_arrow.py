"""The Python module under Spark: python/examples/spark_features.py reads a folder as
binaryFile rows and runs medprep.Pipeline in `mapInArrow`; its rows must equal
`medprep run`'s features.parquet."""

import math
import sys
from urllib.parse import unquote, urlparse

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from support import NOT_DICOM_KIND

EXAMPLE = ROOT / "python" / "examples" / "spark_features.py"


@pytest.fixture(scope="module")
def example(spark):
    # The workers import the module too: mapInArrow's function refers to its helpers.
    spark.sparkContext.addPyFile(str(EXAMPLE))
    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        import spark_features
    finally:
        sys.path.remove(str(EXAMPLE.parent))
    return spark_features


def _local(uri: str) -> str:
    return unquote(urlparse(uri).path)


def check_feature_rows(rows: list[dict], corpus, reference) -> None:
    """Rows of the example (one per frame, plus one per failed file) against the reference."""
    names = reference.features.schema.names
    expected = reference.feature_rows()
    ok = {(_local(r["image_path"]), r["frame"]): r for r in rows if r["error"] is None}
    assert len(ok) == sum(r["error"] is None for r in rows), "duplicate (path, frame) rows"
    assert sorted(ok) == sorted(expected)
    mismatches = [(key, name, ok[key][name], want[name])
                  for key, want in expected.items() for name in names if name != "image_path"
                  if not (ok[key][name] == want[name]
                          or (isinstance(want[name], float) and math.isnan(want[name])
                              and math.isnan(ok[key][name])))]
    assert not mismatches, f"{len(mismatches)} values differ, e.g. {mismatches[:5]}"
    failed = [r for r in rows if r["error"] is not None]
    assert [(_local(r["image_path"]), r["error_kind"]) for r in failed] == [
        (str(corpus.not_dicom), NOT_DICOM_KIND)]
    assert str(corpus.not_dicom) in failed[0]["error"]
    assert all(failed[0][n] is None for n in names if n != "image_path")


def test_map_in_arrow_over_binary_files(spark, example, corpus, reference):
    files = spark.read.format("binaryFile").load(str(corpus.folder))
    rows = example.features(files, "ct-standard", jobs=1)
    assert rows.schema.fieldNames() == [*reference.features.schema.names, "error_kind", "error"]
    check_feature_rows([r.asDict() for r in rows.collect()], corpus, reference)


def test_main_writes_parquet(spark, example, corpus, reference, tmp_path, capsys):
    out = tmp_path / "features"
    assert example.main([str(corpus.folder), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    assert f"{reference.features.num_rows} feature rows, 1 failed files" in printed
    table = pq.read_table(out)
    check_feature_rows(table.to_pylist(), corpus, reference)
    # The shared session is still usable: main stops only a session it started.
    assert spark.range(3).count() == 3
