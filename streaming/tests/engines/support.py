"""Helpers of the engine tests: the corpus, the reference tables, and reading and checking
the mapper's tab-separated rows against them."""

from __future__ import annotations

import datetime
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pydicom

NULL = "\\N"
# The columns of a mapper row before the metadata and after the features.
LEADING = ["status", "image_path", "frame"]
TRAILING = ["error_kind", "error"]
# The error kinds the mapper contract names for the two bad records.
NOT_DICOM_KIND = "not_dicom"
MISSING_KIND = "io"


@dataclass(frozen=True)
class Corpus:
    """DICOM files that the ct-standard recipe accepts (`good`, in one folder), a text
    file in that folder and a path that does not exist."""

    folder: Path
    good: list[Path]
    not_dicom: Path
    missing: Path

    @property
    def records(self) -> list[str]:
        """Path records: the good files, then the two bad ones."""
        return [*map(str, self.good), str(self.not_dicom), str(self.missing)]

    def write_pathlist(self, path: Path) -> Path:
        path.write_text("".join(f"{r}\n" for r in self.records))
        return path


@dataclass(frozen=True)
class Reference:
    """`medprep run`'s output folder and its two tables, read with pyarrow."""

    out: Path
    scans: pa.Table
    features: pa.Table

    @property
    def feature_names(self) -> list[str]:
        return self.features.schema.names[4:]

    def frames(self, image_path: str) -> int:
        """The number of feature rows of one image (0 when it is not in the table)."""
        return self.features.column("image_path").to_pylist().count(image_path)

    def feature_rows(self) -> dict[tuple[str, int], dict]:
        return {(r["image_path"], r["frame"]): r for r in self.features.to_pylist()}

    def scan_rows(self) -> dict[str, dict]:
        return {r["image_path"]: r for r in self.scans.to_pylist()}


def mapper_schema(mapper_bin: Path, *args: str) -> list[str]:
    """The output columns as `preprocess_image --schema` names them."""
    done = subprocess.run([str(mapper_bin), *args, "--schema"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def parse_rows(lines: list[str], schema: list[str]) -> list[dict]:
    """Mapper output lines as dicts by column name, `\\N` as None."""
    rows = []
    for number, line in enumerate(lines):
        fields = line.rstrip("\n").split("\t")
        assert len(fields) == len(schema), (
            f"line {number} has {len(fields)} fields, the schema {len(schema)}: {line[:200]!r}")
        rows.append({name: None if value == NULL else value for name, value in zip(schema, fields)})
    return rows


def expected_sequence(records: list[str], reference: Reference) -> list[tuple]:
    """(image_path, status, frame) of the rows the mapper owes `records`, in order: one ok
    row per frame of an image `medprep run` processed, one error row for any other record."""
    expected = []
    for record in records:
        frames = reference.frames(record)
        if frames:
            expected += [(record, "ok", str(frame)) for frame in range(frames)]
        else:
            expected.append((record, "error", None))
    return expected


def _same_float(got: str | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    value = float(got)  # parses NaN, Infinity and -Infinity too
    return (math.isnan(value) and math.isnan(want)) or value == want


def _same_value(got: str | None, want: object, arrow_type: pa.DataType) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if pa.types.is_floating(arrow_type):
        return _same_float(got, want)
    if pa.types.is_integer(arrow_type):
        return int(got) == want
    if pa.types.is_date(arrow_type):
        return datetime.date.fromisoformat(got) == want
    return got == want


def check_rows(rows: list[dict], records: list[str], reference: Reference,
               bad_kinds: dict[str, str]) -> None:
    """Checks mapper rows (already split by column) against `medprep run`'s tables: the
    row sequence, every feature (exactly, as parsed f64), every metadata column, and the
    error rows of the records in `bad_kinds` (record -> expected error_kind)."""
    got = [(r["image_path"], r["status"], r["frame"]) for r in rows]
    assert got == expected_sequence(records, reference)

    features = reference.feature_rows()
    scans = reference.scan_rows()
    scan_types = {f.name: f.type for f in reference.scans.schema}
    metadata = [n for n in reference.scans.schema.names if n != "image_path"]
    mismatches = []
    for row in rows:
        path = row["image_path"]
        if row["status"] == "ok":
            want = features[(path, int(row["frame"]))]
            mismatches += [(path, row["frame"], name, row[name], want[name])
                           for name in reference.feature_names
                           if not _same_float(row[name], want[name])]
            scan = scans[path]
            mismatches += [(path, row["frame"], name, row[name], scan[name]) for name in metadata
                           if not _same_value(row[name], scan[name], scan_types[name])]
            assert row["error_kind"] is None and row["error"] is None, row
        else:
            assert row["error_kind"] == bad_kinds[path], (path, row["error_kind"], row["error"])
            assert row["error"], row
            empty = [n for n in (*reference.feature_names, *metadata, "frame") if row[n] is not None]
            assert not empty, f"error row of {path} has values in {empty[:5]}"
    assert not mismatches, f"{len(mismatches)} values differ, e.g. {mismatches[:5]}"


def check_metadata_with_pydicom(rows: list[dict]) -> None:
    """Identity and geometry columns of ok rows against the headers pydicom reads."""
    for row in rows:
        if row["status"] != "ok":
            continue
        ds = pydicom.dcmread(row["image_path"], stop_before_pixels=True)
        assert row["sop_instance_uid"] == ds.SOPInstanceUID
        assert row["patient_id"] == ds.PatientID
        assert row["modality"] == ds.Modality
        assert (int(row["rows"]), int(row["cols"])) == (ds.Rows, ds.Columns)
        assert int(row["frames"]) == int(ds.get("NumberOfFrames", 1))
        assert row["scan_date"] == datetime.datetime.strptime(ds.StudyDate, "%Y%m%d").date().isoformat()
