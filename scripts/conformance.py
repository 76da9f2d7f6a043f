"""Pixel-for-pixel conformance of `medprep decode` with pydicom.

For every DICOM file bundled with pydicom, with pydicom-data, and in fixtures/, that
pydicom itself can decode, this compares

- `medprep decode --raw` with `pydicom.Dataset.pixel_array` (dtype, shape, values);
- `medprep decode` (float32 after the modality LUT) with pydicom's
  `apply_modality_lut` in float64 cast to float32, or, for enhanced multi-frame files
  whose rescale lives only in functional groups (which `apply_modality_lut` ignores),
  the per-frame rescale read from those groups with pydicom;
- for multi-frame files, `--frame 0` and the last frame with the matching slices.

Files that pydicom cannot decode are listed with pydicom's reason and not counted.
Differences listed in scripts/conformance_gaps.toml (with their reason, and optionally a
`max_abs_diff` bound) are reported as known gaps; any other difference fails the run.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import subprocess
import sys
import tempfile
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.pixels import apply_modality_lut

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = [
    "pydicom", "pydicom-data", "numpy", "pylibjpeg", "pylibjpeg-libjpeg",
    "pylibjpeg-openjpeg", "pylibjpeg-rle", "pyjpegls", "python-gdcm",
]


@dataclass
class Case:
    """One test file and what came of it."""

    label: str
    path: Path
    syntax: str = ""
    photometric: str = ""
    bits: str = ""
    frames: int = 1
    outcome: str = ""  # identical | gap | mismatch | skipped
    detail: str = ""
    problems: list[str] = field(default_factory=list)
    max_abs_diff: float = 0.0


def sources() -> list[tuple[str, Path]]:
    """The folders of test files: pydicom's, pydicom-data's and the project's fixtures."""
    import data_store  # pydicom-data's package

    return [
        ("pydicom", Path(pydicom.__file__).parent / "data" / "test_files"),
        ("pydicom-data", Path(data_store.__file__).parent / "data"),
        ("fixtures", ROOT / "fixtures"),
    ]


def discover() -> list[Case]:
    cases = []
    for prefix, folder in sources():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            cases.append(Case(label=f"{prefix}/{path.relative_to(folder)}", path=path))
    return cases


def functional_group_rescale(ds: pydicom.Dataset) -> list[tuple[float, float]] | None:
    """Per-frame (slope, intercept) from Pixel Value Transformation functional groups."""
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        return None
    shared = ds.get("SharedFunctionalGroupsSequence")
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    frames = number_of_frames(ds)
    found = []
    for i in range(frames):
        item = None
        for groups in ([per_frame[i]] if per_frame and i < len(per_frame) else []) + (
            [shared[0]] if shared else []
        ):
            if "PixelValueTransformationSequence" in groups:
                item = groups.PixelValueTransformationSequence[0]
                break
        if item is None or "RescaleSlope" not in item or "RescaleIntercept" not in item:
            found.append(None)
        else:
            found.append((float(item.RescaleSlope), float(item.RescaleIntercept)))
    if all(f is None for f in found):
        return None
    return [f or (1.0, 0.0) for f in found]


def number_of_frames(ds: pydicom.Dataset) -> int:
    """Number of Frames as pydicom reads it; 1 when absent or not a number."""
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except ValueError:
        return 1


def modality_reference(ds: pydicom.Dataset, raw: np.ndarray) -> np.ndarray:
    rescale = functional_group_rescale(ds)
    if rescale is None or "ModalityLUTSequence" in ds:
        return np.asarray(apply_modality_lut(raw, ds), dtype=np.float64).astype(np.float32)
    frames = raw if raw.ndim == 3 and len(rescale) > 1 else raw[np.newaxis]
    out = np.stack(
        [f.astype(np.float64) * s + i for f, (s, i) in zip(frames, rescale)]
    ).astype(np.float32)
    return out if raw.ndim == 3 and len(rescale) > 1 else out[0]


def error_message(stderr: str, case: Case) -> str:
    """medprep's last error line, naming the file by its label rather than its path."""
    lines = stderr.strip().splitlines()
    last = lines[-1] if lines else "no message"
    return last.removeprefix("medprep: error: ").replace(str(case.path), case.label)


def run_medprep(binary: str, case: Case, out: Path, *args: str) -> np.ndarray | str:
    """The decoded array, or medprep's error message."""
    result = subprocess.run(
        [binary, "decode", str(case.path), "--out", str(out), *args],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        return f"exit {result.returncode}: {error_message(result.stderr, case)}"
    return np.load(out)


def medprep_verdict(binary: str, case: Case) -> str:
    """What medprep makes of a file pydicom cannot decode: it must fail cleanly or decode."""
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [binary, "decode", str(case.path), "--raw", "--out", str(Path(tmp) / "out.npy")],
            capture_output=True, text=True, check=False,
        )
    if result.returncode == 0:
        return "decodes it"
    if result.returncode != 1:
        case.problems.append(f"medprep crashed (exit {result.returncode}) where pydicom reports an error")
        return f"crashed (exit {result.returncode})"
    return "error: " + error_message(result.stderr, case)[:200]


def compare(name: str, got: np.ndarray | str, want: np.ndarray, case: Case) -> None:
    """Records a problem unless `got` equals `want` (byte order aside)."""
    if isinstance(got, str):
        case.problems.append(f"{name}: medprep failed: {got}")
        return
    if (got.dtype.kind, got.dtype.itemsize) != (want.dtype.kind, want.dtype.itemsize):
        case.problems.append(f"{name}: dtype {got.dtype} vs pydicom {want.dtype}")
        return
    if got.shape != want.shape:
        case.problems.append(f"{name}: shape {got.shape} vs pydicom {want.shape}")
        return
    if np.array_equal(got, want):
        return
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    case.max_abs_diff = max(case.max_abs_diff, float(diff.max()))
    case.problems.append(
        f"{name}: {np.count_nonzero(diff)} of {diff.size} values differ, max |diff| {diff.max():g}"
    )


def check(case: Case, binary: str) -> Case:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(case.path)
        except (InvalidDicomError, Exception):  # not DICOM, or not readable by pydicom
            case.outcome, case.detail = "skipped", "pydicom cannot read the file"
            return case
        meta = getattr(ds, "file_meta", None)
        uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
        case.syntax = f"{uid.name} ({uid})" if uid else "-"
        case.photometric = str(ds.get("PhotometricInterpretation", "-"))
        case.bits = f"{ds.get('BitsAllocated', '-')}/{ds.get('BitsStored', '-')}"
        case.frames = number_of_frames(ds)
        if "PixelData" not in ds:
            case.outcome, case.detail = "skipped", "no Pixel Data"
            return case
        try:
            raw = ds.pixel_array
            reference = modality_reference(ds, raw)
        except Exception as error:  # pydicom's own limits
            reason = " ".join(str(error).split())[:200]
            case.outcome = "skipped"
            case.detail = f"pydicom cannot decode: {reason}; medprep: {medprep_verdict(binary, case)}"
            return case

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.npy"
        compare("raw", run_medprep(binary, case, out, "--raw"), raw, case)
        compare("modality LUT", run_medprep(binary, case, out), reference, case)
        if case.frames > 1 and raw.ndim >= 3 and raw.shape[0] == case.frames:
            for index in sorted({0, case.frames - 1}):
                got = run_medprep(binary, case, out, "--raw", "--frame", str(index))
                compare(f"frame {index}", got, raw[index], case)
    case.outcome = "mismatch" if case.problems else "identical"
    return case


def apply_gaps(cases: list[Case], gaps: dict) -> list[str]:
    """Turns listed mismatches into known gaps; returns warnings about stale entries."""
    notes = []
    by_label = {c.label: c for c in cases}
    for label, gap in gaps.items():
        case = by_label.get(label)
        if case is None:
            notes.append(f"gap listed for {label}, which is not among the test files")
            continue
        if case.outcome == "identical":
            notes.append(f"{label} is listed as a known gap but now decodes identically")
            continue
        if case.outcome != "mismatch":
            continue
        bound = gap.get("max_abs_diff")
        if bound is not None and case.max_abs_diff > bound:
            case.problems.append(f"difference {case.max_abs_diff:g} exceeds the known gap's bound {bound:g}")
            continue
        if bound is None and case.max_abs_diff > 0 and not gap.get("any_difference", False):
            case.problems.append("value differences, but the known gap gives no max_abs_diff")
            continue
        case.outcome, case.detail = "gap", gap["reason"]
    return notes


def versions() -> str:
    found = []
    for name in PLUGINS:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def report(cases: list[Case], notes: list[str]) -> str:
    counted = [c for c in cases if c.outcome != "skipped"]
    tally = {k: sum(c.outcome == k for c in counted) for k in ("identical", "gap", "mismatch")}
    lines = [
        "# Conformance with pydicom",
        "",
        "Generated by `scripts/conformance.sh`; do not edit by hand. For every DICOM file",
        "bundled with pydicom and pydicom-data, and every fixture, that pydicom decodes,",
        "`medprep decode --raw` is compared with `Dataset.pixel_array` (dtype, shape, every",
        "value; big-endian dtypes compare equal to medprep's little-endian ones) and",
        "`medprep decode` with `apply_modality_lut` in float64 cast to float32 (per-frame",
        "functional-group rescale where `apply_modality_lut` does not look). Multi-frame",
        "files are also checked frame by frame (`--frame`).",
        "",
        f"Reference: {versions()}.",
        "",
        f"**{tally['identical']} identical, {plural(tally['gap'], 'known gap')}, "
        f"{plural(tally['mismatch'], 'mismatch', 'mismatches')}** "
        f"out of {len(counted)} files pydicom decodes; {len(cases) - len(counted)} files skipped "
        "(not decodable by pydicom, or no pixel data).",
        "",
        "| file | transfer syntax | photometric | bits alloc/stored | frames | result |",
        "|---|---|---|---|---:|---|",
    ]
    for c in counted:
        result = {
            "identical": "identical",
            "gap": f"known gap: {c.detail} ({'; '.join(c.problems)})",
            "mismatch": "**MISMATCH**: " + "; ".join(c.problems),
        }[c.outcome]
        lines.append(f"| {c.label} | {c.syntax} | {c.photometric} | {c.bits} | {c.frames} | {result} |")
    lines += ["", "## Not compared", "", "| file | reason |", "|---|---|"]
    lines += [f"| {c.label} | {c.detail} |" for c in cases if c.outcome == "skipped"]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def plural(count: int, one: str, many: str = "") -> str:
    """`1 known gap`, `2 known gaps`."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--medprep", required=True, help="the medprep binary to test")
    parser.add_argument("--report", type=Path, help="write the markdown report here")
    parser.add_argument("--gaps", type=Path, default=ROOT / "scripts" / "conformance_gaps.toml")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    gaps = tomllib.loads(args.gaps.read_text()).get("gaps", {}) if args.gaps.exists() else {}
    cases = discover()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        cases = list(pool.map(lambda c: check(c, args.medprep), cases))
    notes = apply_gaps(cases, gaps)
    text = report(cases, notes)
    if args.report:
        args.report.write_text(text)

    counted = [c for c in cases if c.outcome != "skipped"]
    mismatches = [c for c in cases if c.outcome == "mismatch" or (c.outcome == "skipped" and c.problems)]
    for c in mismatches:
        print(f"MISMATCH {c.label}: {'; '.join(c.problems)}", file=sys.stderr)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    identical = sum(c.outcome == "identical" for c in counted)
    known = sum(c.outcome == "gap" for c in counted)
    print(f"{identical} identical, {plural(known, 'known gap')}; "
          f"{len(cases) - len(counted)} files not decodable by pydicom or without pixel data")
    print(f"conformance: {identical + known} passed, {len(mismatches)} failed")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
