"""The mapper under mrjob's local runner (`-r local`): a map-only job over a path list,
split into several map tasks, with the counters, task environment and task output
folder that Hadoop Streaming gives a mapper."""

import os
import re

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mrjob.step import StepFailedException

from mr_preprocess import MRPreprocess
from support import (MISSING_KIND, NOT_DICOM_KIND, check_metadata_with_pydicom, check_rows,
                     mapper_schema, parse_rows)


def _run(mapper_bin, pathlist, out, recipe="ct-standard", parquet=False):
    """Runs the job; returns mrjob's counters and the stderr of each map task (kept in
    the job's scratch folder, next to OUT)."""
    scratch = out.parent / f"{out.name}-scratch"
    job = MRPreprocess(["-r", "local", "--no-conf", "--binary", str(mapper_bin),
                        "--recipe", recipe, *(["--parquet"] if parquet else []),
                        "--output-dir", str(out),
                        "--local-tmp-dir", str(scratch), "--cleanup", "NONE", str(pathlist)])
    with job.make_runner() as runner:
        runner.run()
        counters = runner.counters()
    stderr = {str(p.relative_to(scratch)): p.read_text()
              for p in sorted(scratch.glob("*/step/000/mapper/*/stderr"))}
    return counters, stderr


@pytest.fixture(scope="module")
def job(corpus, mapper_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("mrjob")
    pathlist = corpus.write_pathlist(base / "paths.txt")
    out = base / "out"
    counters, stderr = _run(mapper_bin, pathlist, out, parquet=True)
    # Part files are numbered by map task, and tasks take consecutive splits.
    parts = sorted(out.glob("part-*"))
    lines = [line for part in parts for line in part.read_text().splitlines()]
    return {"parts": parts, "lines": lines, "counters": counters, "stderr": stderr}


def test_rows_match_medprep_run_in_input_order(job, corpus, reference, mapper_bin):
    # Several map tasks, so the order check spans part files.
    assert len(job["parts"]) > 1
    rows = parse_rows(job["lines"], mapper_schema(mapper_bin))
    check_rows(rows, corpus.records, reference,
               {str(corpus.not_dicom): NOT_DICOM_KIND, str(corpus.missing): MISSING_KIND})
    check_metadata_with_pydicom(rows)


def test_counters_add_up(job, corpus):
    assert len(job["counters"]) == 1  # one step
    medprep = job["counters"][0]["medprep"]
    assert medprep["records_ok"] == len(corpus.good)
    assert medprep["records_failed"] == 2
    assert medprep["records_ok"] + medprep["records_failed"] == len(corpus.records)
    assert medprep[f"error_{NOT_DICOM_KIND}"] == 1
    assert medprep[f"error_{MISSING_KIND}"] == 1
    assert medprep["bytes_read"] >= sum(p.stat().st_size for p in corpus.good)


def test_status_lines_name_the_task(job):
    # mrjob's local runner sets mapreduce_task_id like Hadoop; the mapper reports it.
    assert len(job["stderr"]) > 1
    for name, text in job["stderr"].items():
        tasks = set(re.findall(r"^reporter:status:medprep (\S+)", text, re.MULTILINE))
        assert len(tasks) == 1 and "_mapper_" in tasks.pop(), (name, text[:500])


def test_side_tables_in_the_task_output_folder(job, reference):
    # mrjob's local runner sets mapreduce_task_output_dir to the job's output folder, and
    # --parquet writes each task's tables there: together, the tables of `medprep run`.
    out = job["parts"][0].parent
    for name, expected in (("scans", reference.scans), ("features", reference.features)):
        files = sorted((out / "_medprep" / name).glob("part-*.parquet"))
        assert len(files) == len(job["parts"]), name  # one per map task
        got = pa.concat_tables(pq.read_table(f) for f in files)
        assert got.schema.names == expected.schema.names, name
        for column in expected.schema.names:
            have, want = got.column(column), expected.column(column)
            if pa.types.is_floating(want.type):  # NaN equals NaN here
                np.testing.assert_array_equal(have.to_numpy(), want.to_numpy(),
                                              err_msg=f"{name}.{column}")
            else:
                assert have.to_pylist() == want.to_pylist(), (name, column)


def test_relative_paths_are_taken_from_the_input_files_folder(corpus, reference, mapper_bin,
                                                             tmp_path):
    # mrjob sets mapreduce_map_input_file to the path list's URI, as Hadoop does.
    lists = tmp_path / "lists"
    lists.mkdir()
    names = [os.path.relpath(record, lists) for record in corpus.records]
    assert all(name.startswith("..") for name in names)
    pathlist = lists / "paths.txt"
    pathlist.write_text("".join(f"{n}\n" for n in names))
    _run(mapper_bin, pathlist, tmp_path / "out")
    lines = [line for part in sorted((tmp_path / "out").glob("part-*"))
             for line in part.read_text().splitlines()]
    rows = parse_rows(lines, mapper_schema(mapper_bin))
    # image_path is the record as given; the values are those of the files it names.
    assert list(dict.fromkeys(r["image_path"] for r in rows)) == names
    for row in rows:
        row["image_path"] = os.path.normpath(lists / row["image_path"])
    check_rows(rows, corpus.records, reference,
               {str(corpus.not_dicom): NOT_DICOM_KIND, str(corpus.missing): MISSING_KIND})


def test_a_bad_recipe_fails_the_step(corpus, mapper_bin, tmp_path):
    pathlist = corpus.write_pathlist(tmp_path / "paths.txt")
    with pytest.raises(StepFailedException):
        _run(mapper_bin, pathlist, tmp_path / "out", recipe="no-such-recipe")
