#!/usr/bin/env python3
"""Decode throughput of medprep against pydicom 3, on the same files and the same core.

For each transfer syntax of the benchmark corpus (512x512 16-bit CT slices, made by
scripts/gen_corpus.py if missing), both sides load every file of the syntax's directory
into memory, decode one file untimed to warm up, then time decoding every file to
Hounsfield units on one thread:

  pydicom  dcmread(BytesIO(bytes)) + .pixel_array + rescale to float32
           (arr.astype(float32) * slope + intercept; --lut pydicom uses
           pydicom.pixels.apply_modality_lut instead, which computes in float64)
  medprep  DicomFile::from_bytes + image() (the decode-throughput binary)

Each side runs in its own process, pinned to CPU 0 with `taskset -c 0` when available.
Runs alternate between the two sides for --rounds rounds; the best round of each counts.
Before timing, HU values of a sample of files are compared between the two (exact
equality after a float32 cast).

Usage (from anywhere in the repository, with a Python that has numpy, pydicom 3 and
the pylibjpeg / pyjpegls / gdcm plugins):

    python benches/compare/decode_vs_pydicom.py [--write benches/RESULTS.md]

Options: --corpus DIR (default $MEDPREP_BENCH_CORPUS, else target/bench-corpus),
--syntax LIST, --rounds N, --repeat N (passes over the files per timed run, at least),
--min-seconds S (more whole passes until a timed run lasts S seconds; default 2),
--default-plugin-only (time only the plugin pydicom picks by default, not every
available one), --no-pin,
--no-build, --lut {float32,pydicom}, --sample N (files checked for equal HU),
--env KEY=VALUE (for both sides' timed processes).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from machine import (REPO, cpu_model, default_corpus, display_path, ensure_corpus, log, medprep_revision,
                     os_description, rustc_version, version_of, write_section)
SYNTAXES = ["explicit", "rle", "jpegls-lossless", "jpeg2000-lossless"]
CORPUS_N = 200
CORPUS_SIZE = 512
RERUN_PREFIX = 'PY=$(scripts/python-env.sh | tail -1); "$PY" benches/compare/decode_vs_pydicom.py'


# --------------------------------------------------------------------------- worker


def load_files(directory: Path) -> list[bytes]:
    paths = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".dcm")
    return [p.read_bytes() for p in paths]


def make_decoder(plugin: str, lut: str):
    """The pydicom decode-to-HU function timed: bytes in memory to a float32 array."""
    import numpy as np
    from pydicom import dcmread
    from pydicom.pixels import apply_modality_lut

    def decode(blob: bytes):
        ds = dcmread(BytesIO(blob))
        if plugin:
            ds.pixel_array_options(decoding_plugin=plugin)
        arr = ds.pixel_array
        if lut == "pydicom":
            return apply_modality_lut(arr, ds).astype(np.float32, copy=False)
        slope = float(ds.get("RescaleSlope", 1) or 1)
        intercept = float(ds.get("RescaleIntercept", 0) or 0)
        hu = arr.astype(np.float32)
        if slope != 1.0:
            hu *= np.float32(slope)
        if intercept != 0.0:
            hu += np.float32(intercept)
        return hu

    return decode


def worker(args: argparse.Namespace) -> int:
    """Times pydicom on one directory; prints the same JSON as decode-throughput."""
    blobs = load_files(Path(args.worker))
    if not blobs:
        sys.exit(f"{args.worker}: no .dcm files")
    decode = make_decoder(args.plugin, args.lut)
    decode(blobs[0])  # warm up: plugin imports, first-use caches
    start = time.perf_counter()
    passes = 0
    while passes < args.repeat or time.perf_counter() - start < args.min_seconds:
        passes += 1
        for blob in blobs:
            decode(blob)
    seconds = time.perf_counter() - start
    images = len(blobs) * passes
    print(json.dumps({"images": images, "seconds": round(seconds, 6), "images_per_s": round(images / seconds, 3)}))
    return 0


# --------------------------------------------------------------------------- driver


EXTRA_ENV: dict[str, str] = {}


def run_json(cmd: list[str]) -> dict:
    env = dict(os.environ)
    env.update(EXTRA_ENV)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        env[var] = "1"
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def build_medprep() -> Path:
    log("building decode-throughput (release) ...")
    cmd = ["cargo", "build", "--release", "-p", "medprep-benches", "--bin", "decode-throughput",
           "--message-format=json-render-diagnostics"]
    out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    for line in out.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg.get("target", {}).get("name") == "decode-throughput":
            return Path(msg["executable"])
    sys.exit("cargo did not report the decode-throughput executable")


def existing_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    exe = target / "release" / "decode-throughput"
    if not exe.exists():
        sys.exit(f"{exe} not found: build it or drop --no-build")
    return exe


def pydicom_plugins(syntax_dir: Path) -> list[str]:
    """Available pydicom decoding plugins for the syntax, in the order pydicom tries them."""
    from pydicom import dcmread
    from pydicom.pixels import get_decoder

    first = next(p for p in sorted(syntax_dir.glob("*.dcm")))
    uid = dcmread(first, stop_before_pixels=True).file_meta.TransferSyntaxUID
    if not uid.is_compressed:
        return [""]
    decoder = get_decoder(uid)
    return list(decoder._available)  # insertion order = the order pydicom tries them


def check_equal(exe: Path, syntax_dir: Path, sample: int, lut: str) -> tuple[int, int, str]:
    """Compares medprep's HU with pydicom's on the first `sample` files."""
    import numpy as np
    from pydicom import dcmread
    from pydicom.pixels import apply_modality_lut

    paths = sorted(syntax_dir.glob("*.dcm"))[:sample]
    decode = make_decoder("", lut)
    equal = 0
    detail = ""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(exe), str(syntax_dir), "--limit", str(sample), "--dump", tmp],
                       check=True, capture_output=True)
        for path in paths:
            blob = path.read_bytes()
            ds = dcmread(BytesIO(blob))
            reference = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
            timed = decode(blob)
            ours = np.fromfile(Path(tmp) / f"{path.name}.f32", dtype="<f4")
            if ours.size != reference.size:
                detail = detail or f"{path.name}: {ours.size} values vs {reference.size}"
                continue
            ours = ours.reshape(reference.shape)
            if np.array_equal(ours, reference) and np.array_equal(ours, timed):
                equal += 1
            elif not detail:
                diff = np.abs(ours.astype(np.float64) - reference)
                detail = f"{path.name}: {int((diff > 0).sum())} values differ, max |diff| {diff.max()}"
    return equal, len(paths), detail


def rerun_command() -> str:
    """This run's command line, with paths inside the repository made relative to it."""
    import shlex

    args = []
    for arg in sys.argv[1:]:
        path = Path(arg)
        if path.is_absolute():
            arg = display_path(path)
        args.append(arg)
    return " ".join([RERUN_PREFIX] + [shlex.quote(a) for a in args])


def plugin_label(plugin: str, default: bool) -> str:
    if not plugin:
        return "native (numpy)"
    return f"{plugin} (default)" if default else plugin


# The decode targets per core: uncompressed and RLE as multiples of pydicom's default
# decoder, JPEG-LS and JPEG 2000 at least equal to every C library a plugin wraps.
TARGETS = {"explicit": ("pydicom's default", 5.0), "rle": ("pydicom's default (pylibjpeg-rle)", 2.0),
           "jpegls-lossless": ("every plugin", 1.0), "jpeg2000-lossless": ("every plugin", 1.0)}


def target_lines(rows: list[dict], configs) -> list[str]:
    defaults = {(s, plugin_label(p, d)) for s, p, d in configs if d or not p}
    lines = []
    for syntax, (against, wanted) in TARGETS.items():
        mine = [r for r in rows if r["syntax"] == syntax
                and (against == "every plugin" or (syntax, r["label"]) in defaults)]
        if not mine:
            continue
        worst = min(r["medprep"] / r["pydicom"] for r in mine)
        lines.append(f"- {syntax}: {worst:.2f}x {against}, target >= {wanted:g}x: "
                     f"{'met' if worst >= wanted else 'NOT met'}")
    return lines


def table(rows: list[dict]) -> str:
    lines = ["| syntax | pydicom decoder | pydicom images/s | medprep images/s | medprep / pydicom |",
             "| --- | --- | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['syntax']} | {r['label']} | {r['pydicom']:.1f} | {r['medprep']:.1f} | "
                     f"{r['medprep'] / r['pydicom']:.2f}x |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--syntax", default=",".join(SYNTAXES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--sample", type=int, default=8)
    parser.add_argument("--lut", choices=["float32", "pydicom"], default="float32")
    parser.add_argument("--default-plugin-only", action="store_true")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="set an environment variable for both sides' timed processes")
    parser.add_argument("--write", type=Path, default=None, metavar="RESULTS_MD")
    # internal: time pydicom on one directory
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--plugin", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    import importlib.util

    missing = [m for m in ("numpy", "pydicom") if importlib.util.find_spec(m) is None]
    if missing:
        sys.exit(f"decode_vs_pydicom.py: this Python lacks {', '.join(missing)} (see benches/compare/README.md)")

    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env wants KEY=VALUE, not {item!r}")
        EXTRA_ENV[key] = value

    corpus = args.corpus or default_corpus()
    syntaxes = [s.strip() for s in args.syntax.split(",") if s.strip()]
    ensure_corpus(corpus, syntaxes, CORPUS_N, CORPUS_SIZE)
    exe = existing_binary() if args.no_build else build_medprep()
    pin: list[str] = []
    if not args.no_pin and shutil.which("taskset"):
        pin = ["taskset", "-c", "0"]
    elif not args.no_pin:
        log("taskset not found: runs are not pinned to one core")

    # Equality first: a throughput of wrong values is worth nothing.
    checks = {}
    for syntax in syntaxes:
        equal, total, detail = check_equal(exe, corpus / syntax, args.sample, args.lut)
        checks[syntax] = (equal, total)
        status = "identical" if equal == total else f"DIFFERENT ({detail})"
        print(f"HU check {syntax}: medprep vs pydicom on {total} files: {equal}/{total} {status}", flush=True)

    # (syntax, plugin, is_default) for every pydicom configuration to time
    configs = []
    for syntax in syntaxes:
        plugins = pydicom_plugins(corpus / syntax)
        chosen = plugins[:1] if args.default_plugin_only else plugins
        configs += [(syntax, p, p == plugins[0]) for p in chosen]

    best_py: dict[tuple[str, str], float] = {}
    best_rs: dict[str, float] = {}
    for round_ in range(args.rounds):
        for syntax in syntaxes:
            directory = str(corpus / syntax)
            runs = [("medprep", "", pin + [str(exe), directory, "--repeat", str(args.repeat),
                                           "--min-seconds", str(args.min_seconds)])]
            for s, plugin, _ in configs:
                if s == syntax:
                    runs.append(("pydicom", plugin, pin + [
                        sys.executable, str(Path(__file__).resolve()), "--worker", directory,
                        "--repeat", str(args.repeat), "--min-seconds", str(args.min_seconds),
                        "--lut", args.lut, "--plugin", plugin]))
            # alternate which side goes first, so drift (thermal, caches) is shared
            if round_ % 2 == 0:
                runs.reverse()
            for side, plugin, cmd in runs:
                rate = run_json(cmd)["images_per_s"]
                if side == "pydicom":
                    best_py[(syntax, plugin)] = max(best_py.get((syntax, plugin), 0.0), rate)
                else:
                    best_rs[syntax] = max(best_rs.get(syntax, 0.0), rate)
                label = f"{side}[{plugin}]" if plugin else side
                log(f"round {round_ + 1}/{args.rounds} {syntax:<18} {label:<20} {rate:9.1f} images/s")

    rows = [{"syntax": s, "label": plugin_label(p, d), "pydicom": best_py[(s, p)], "medprep": best_rs[s]}
            for s, p, d in configs]
    print()
    print(table(rows))
    verdicts = target_lines(rows, configs)
    print("\n" + "\n".join(verdicts))

    if args.write:
        versions = {d: version_of(d) for d in ("numpy", "pydicom", "pylibjpeg", "pylibjpeg-openjpeg",
                                                "pylibjpeg-rle", "pyjpegls", "python-gdcm", "pillow")}
        plugin_versions = ", ".join(f"{d} {v}" for d, v in versions.items() if v and d not in ("numpy", "pydicom"))
        n_files = {s: len(list((corpus / s).glob("*.dcm"))) for s in syntaxes}
        check_lines = "\n".join(
            f"- {s}: {e}/{t} files identical" for s, (e, t) in checks.items())
        corpus_note = display_path(corpus)
        env_note = (", with " + ", ".join(f"`{k}={v}`" for k, v in EXTRA_ENV.items()) + " for both sides"
                    if EXTRA_ENV else "")
        lut_note = ("`arr.astype(float32) * slope + intercept`" if args.lut == "float32"
                    else "`pydicom.pixels.apply_modality_lut(arr, ds)` (float64) cast to float32")
        section = f"""## Decode

512x512 16-bit CT slices decoded to Hounsfield units from bytes already in memory, one
thread, {'pinned to one core (`taskset -c 0`)' if pin else 'not pinned'}; best of {args.rounds} alternating rounds,
{max(n_files.values()) if n_files else 0} files per syntax ({corpus_note}, made by `scripts/gen_corpus.py --n {CORPUS_N} --size {CORPUS_SIZE}`),
whole passes over the files until a timed run lasts {args.min_seconds:g} s (at least {args.repeat}){env_note}.

- pydicom: `dcmread(BytesIO(bytes))`, `.pixel_array`, then {lut_note}.
- medprep ({medprep_revision()}): `DicomFile::from_bytes` + `image()` (the `decode-throughput` binary, release build).

{table(rows)}

Targets, per core:
{chr(10).join(verdicts)}

Same HU values (np.array_equal after a float32 cast), checked on the first {args.sample} files of each syntax:
{check_lines}

Measured {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on:
- CPU: {cpu_model()}, {os.cpu_count()} logical cores
- OS: {os_description()}
- {rustc_version()}
- Python {platform.python_version()}, numpy {versions['numpy']}, pydicom {versions['pydicom']}
- pydicom plugins: {plugin_versions or 'none'}

Rerun (from the repository root, with a Python that has those packages):

    {rerun_command()}
"""
        write_section(args.write if args.write.is_absolute() else Path.cwd() / args.write, "Decode", section)
        log(f"wrote the Decode section of {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
