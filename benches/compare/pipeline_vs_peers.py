#!/usr/bin/env python3
"""The ct-standard workload end to end: medprep against the same pipeline in Python.

Every side processes the same 512x512 CT slices (0.7 mm pixels, made by
scripts/gen_corpus.py if missing) from files on disk to the 160 ct-standard features,
with the same number of workers J (--jobs, default "1,2"):

  medprep  `medprep run DIR --recipe ct-standard --device cpu --jobs J --quiet` into a
           fresh output folder: the whole process, including discovery, decoding and
           writing both Parquet files.
  scipy    pydicom + numpy + scipy.ndimage, the pipeline of DESIGN §3 exactly (the
           stages of core/tests/reference/ct_standard.py, the parity reference of the
           test suite), J worker processes (multiprocessing, fork), one thread each.
  opencv   pydicom + OpenCV, the fast idiom people write: cv2.resize (INTER_LINEAR,
           pixel edges aligned rather than the ITK grid), GaussianBlur, a 3x3 Laplacian
           of the blurred image, Sobel; the same statistics. Faster than scipy but not
           feature-identical. Skipped when cv2 is not installed
           (pip install -r benches/compare/requirements.txt).

Both Python sides compute the statistics as a performance-minded numpy user would: one
float32 sort per map, percentiles and the 64-bin histogram read off the sorted values
(`fast_statistics`). Before timing, they are checked against the straightforward
reference (`np.percentile`, `np.histogram`) on the first file.

Allocator: every side runs with glibc told to keep freed buffers
(MALLOC_MMAP_THRESHOLD_=33554432, MALLOC_TRIM_THRESHOLD_=1073741824; the script re-executes
itself with them): without it, numpy returns each multi-MiB array to the kernel and
faults it in again, which costs the Python sides far more than the arithmetic.

Timing: one untimed warm-up over the first 10 files, then --passes timed passes over
all files; images/s = files / median pass time.

Agreement: medprep's features.parquet against the scipy side's features, per feature,
max |difference| and whether every value is within 1e-4 + 1e-3 |scipy|; ratios that are
ill-conditioned (cov of a zero-mean map, qcod with p75 + p25 near 0) are listed apart.

    PY=$(scripts/python-env.sh | tail -1)
    "$PY" benches/compare/pipeline_vs_peers.py [--n 200] [--jobs 1,2] [--write benches/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import (REPO, cpu_model, default_corpus, display_path, ensure_corpus, log, medprep_revision,
                     os_description, rustc_version, version_of, write_section)

ABS, REL, ILL_CONDITIONED = 1e-4, 1e-3, 1e-2
WARMUP = 10


def load_reference_module():
    spec = importlib.util.spec_from_file_location("ct_standard", REPO / "core/tests/reference/ct_standard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- Python sides
REF = None


def fast_statistics(image) -> list[float]:
    """The 20 statistics of ct_standard.statistics from one sort of the map."""
    import numpy as np
    v = np.sort(np.asarray(image, dtype=np.float32).ravel()).astype(np.float64)
    n = v.size
    mean = v.mean()
    d = v - mean
    d2 = d * d
    var = d2.mean()
    skew = (d2 * d).mean() / var ** 1.5 if var > 0 else 0.0
    kurt = (d2 * d2).mean() / var ** 2 - 3.0 if var > 0 else 0.0
    # numpy's 'linear' percentiles, read off the sorted values
    pos = (n - 1) * np.array([10, 25, 50, 75, 90], dtype=np.float64) / 100
    below = np.floor(pos).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    frac = pos - below
    a, b = v[below], v[above]
    p10, p25, p50, p75, p90 = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)
    robust = v[np.searchsorted(v, p10, "left"):np.searchsorted(v, p90, "right")]
    lo, hi = v[0], v[-1]
    if hi > lo:
        edges = np.searchsorted(v, np.linspace(lo, hi, 65), "left")
        edges[-1] = n
        counts = np.diff(edges)
        p = counts[counts > 0] / n
        entropy, uniformity = -(p * np.log2(p)).sum(), (p * p).sum()
    else:
        entropy, uniformity = 0.0, 1.0
    return [mean, var, skew, kurt, p50, lo, p10, p90, hi, p75 - p25, hi - lo,
            np.abs(d).mean(), np.abs(robust - robust.mean()).mean(), np.abs(v - p50).mean(),
            np.sqrt(var) / mean if mean != 0 else float("nan"),
            (p75 - p25) / (p75 + p25) if p75 + p25 != 0 else float("nan"),
            (v * v).sum(), np.sqrt((v * v).mean()), entropy, uniformity]


def check_fast_statistics(path: str) -> None:
    """The timed statistics must be the reference ones."""
    import numpy as np
    import pydicom
    ds = pydicom.dcmread(path)
    for m in REF.maps(next(REF.frames_in_hu(ds)), REF.spacing_of(ds)):
        fast, ref = np.array(fast_statistics(m)), np.array(REF.statistics(m))
        both = ~(np.isnan(fast) & np.isnan(ref))
        if not np.allclose(fast[both], ref[both], rtol=1e-9, atol=1e-12):
            sys.exit(f"fast_statistics disagrees with the reference statistics: {fast} vs {ref}")


def scipy_side(path: str) -> tuple[str, list[float]]:
    import pydicom
    ds = pydicom.dcmread(path)
    maps = REF.maps(next(REF.frames_in_hu(ds)), REF.spacing_of(ds))
    return str(ds.SOPInstanceUID), [float(x) for m in maps for x in fast_statistics(m)]


def opencv_side(path: str) -> tuple[str, list[float]]:
    import cv2
    import numpy as np
    import pydicom
    ds = pydicom.dcmread(path)
    hu = next(REF.frames_in_hu(ds))
    windowed = np.clip((hu - (REF.CENTER - REF.WIDTH / 2)) / REF.WIDTH, 0, 1).astype(np.float32)
    spacing = REF.spacing_of(ds)
    rows, cols = (int(round(n * s / REF.TARGET_MM)) for n, s in zip(windowed.shape, spacing))
    r = cv2.resize(windowed, (cols, rows), interpolation=cv2.INTER_LINEAR)
    border = cv2.BORDER_REFLECT
    gaussians = [cv2.GaussianBlur(r, (0, 0), s, borderType=border) for s in (1, 2, 4)]
    logs = [cv2.Laplacian(g, cv2.CV_32F, ksize=1, borderType=border) for g in gaussians]
    gx = cv2.Sobel(r, cv2.CV_32F, 1, 0, ksize=3, borderType=border)
    gy = cv2.Sobel(r, cv2.CV_32F, 0, 1, ksize=3, borderType=border)
    maps = [r] + gaussians + logs + [cv2.magnitude(gx, gy)]
    return str(ds.SOPInstanceUID), [float(x) for m in maps for x in fast_statistics(m)]


SIDES = {"scipy": scipy_side, "opencv": opencv_side}


def init_worker() -> None:
    global REF
    REF = load_reference_module()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    if importlib.util.find_spec("cv2"):
        import cv2
        cv2.setNumThreads(1)


def time_python(side: str, files: list[str], jobs: int, passes: int):
    import multiprocessing as mp
    fn = SIDES[side]
    with mp.get_context("fork").Pool(jobs, initializer=init_worker) as pool:
        chunk = max(1, len(files) // (8 * jobs))
        pool.map(fn, files[:WARMUP] * jobs, chunksize=1)
        times, results = [], None
        for _ in range(passes):
            start = time.perf_counter()
            results = pool.map(fn, files, chunksize=chunk)
            times.append(time.perf_counter() - start)
    return len(files) / statistics.median(times), dict(results)


def time_medprep(exe: Path, corpus_dir: Path, jobs: int, passes: int, keep: Path):
    def run(out: Path) -> float:
        if out.exists():
            shutil.rmtree(out)
        start = time.perf_counter()
        subprocess.run([str(exe), "run", str(corpus_dir), "--out", str(out), "--recipe", "ct-standard",
                        "--device", "cpu", "--jobs", str(jobs), "--quiet"], check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp) / "warm")
        times = [run(Path(tmp) / f"pass{i}") for i in range(passes)]
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(Path(tmp) / "pass0", keep)
    n = len(list(corpus_dir.rglob("*.dcm")))
    return n / statistics.median(times)


# --------------------------------------------------------------------------- agreement
def agreement(features_parquet: Path, reference: dict[str, list[float]], names: list[str]):
    import pyarrow.parquet as pq
    table = pq.read_table(features_parquet).to_pydict()
    worst = {name: 0.0 for name in names}
    failing, exempt = set(), set()
    for row, uid in enumerate(table["sop_instance_uid"]):
        want = dict(zip(names, reference[uid]))
        for name in names:
            got, ref = table[name][row], want[name]
            map_name, stat = name.rsplit("_", 1)
            if stat == "cov" and abs(want[f"{map_name}_mean"]) < ILL_CONDITIONED * want[f"{map_name}_variance"] ** 0.5:
                exempt.add(name)
                continue
            if stat == "qcod" and abs(ref) > 1 / ILL_CONDITIONED:
                exempt.add(name)
                continue
            diff = abs(got - ref)
            worst[name] = max(worst[name], diff)
            if diff > ABS + REL * abs(ref):
                failing.add(name)
    return worst, sorted(failing), sorted(exempt), len(table["sop_instance_uid"])


# --------------------------------------------------------------------------- driver
def build_medprep() -> Path:
    log("building medprep (release) ...")
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "medprep"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "medprep"


MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


def main() -> int:
    if any(os.environ.get(k) != v for k, v in MALLOC_ENV.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **MALLOC_ENV})
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--n", type=int, default=200, help="slices in the corpus if it must be made")
    parser.add_argument("--jobs", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--write", type=Path, default=None, metavar="RESULTS_MD")
    args = parser.parse_args()

    corpus = args.corpus or default_corpus()
    ensure_corpus(corpus, ["explicit"], args.n, 512)
    corpus_dir = corpus / "explicit"
    files = sorted(str(p) for p in corpus_dir.glob("*.dcm"))
    exe = (Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "medprep"
           if args.no_build else build_medprep())
    jobs_list = [int(j) for j in args.jobs.split(",")]
    sides = ["scipy"] + (["opencv"] if importlib.util.find_spec("cv2") else [])
    if "opencv" not in sides:
        log("cv2 not installed: the opencv side is skipped (pip install -r benches/compare/requirements.txt)")
    init_worker()
    check_fast_statistics(files[0])
    names = [f"{m}_{s}" for m in REF.MAPS for s in REF.STATS]

    rates: dict[tuple[str, int], float] = {}
    reference = None
    with tempfile.TemporaryDirectory() as keep_root:
        medprep_out = Path(keep_root) / "medprep"
        for jobs in jobs_list:
            rates[("medprep", jobs)] = time_medprep(exe, corpus_dir, jobs, args.passes, medprep_out)
            log(f"medprep  jobs={jobs}: {rates[('medprep', jobs)]:.1f} images/s")
            for side in sides:
                rate, results = time_python(side, files, jobs, args.passes)
                rates[(side, jobs)] = rate
                if side == "scipy":
                    reference = results
                log(f"{side:<8} jobs={jobs}: {rate:.1f} images/s")
        worst, failing, exempt, rows = agreement(medprep_out / "features.parquet", reference, names)

    header = "| workers | " + " | ".join(f"{s} images/s" for s in ["medprep"] + sides) + \
             " | " + " | ".join(f"medprep / {s}" for s in sides) + " |"
    lines = [header, "| ---: |" + " ---: |" * (1 + 2 * len(sides))]
    for jobs in jobs_list:
        m = rates[("medprep", jobs)]
        cells = [f"{m:.1f}"] + [f"{rates[(s, jobs)]:.1f}" for s in sides] + \
                [f"{m / rates[(s, jobs)]:.1f}x" for s in sides]
        lines.append(f"| {jobs} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    biggest = sorted(((v, k) for k, v in worst.items() if k not in exempt), reverse=True)[:3]
    agree_text = (f"all {len(names) - len(exempt)} compared features within 1e-4 + 1e-3 |scipy| on all {rows} slices"
                  if not failing else f"OUTSIDE tolerance: {', '.join(failing)}")
    print(table)
    print(f"\nagreement with scipy: {agree_text}; largest |difference|: "
          + ", ".join(f"{k} {v:.2g}" for v, k in biggest)
          + (f"; not compared (ill-conditioned): {', '.join(exempt)}" if exempt else ""))

    if args.write:
        versions = {d: version_of(d) for d in ("numpy", "scipy", "pydicom", "opencv-python-headless")}
        section = f"""## ct-standard pipeline

{len(files)} CT slices of 512x512, 0.7 mm pixels ({display_path(corpus_dir)}, made by
`scripts/gen_corpus.py --n {args.n} --size 512`), from files on disk to the 160
ct-standard features, median of {args.passes} passes after a warm-up. medprep is the
whole `medprep run ... --jobs J` process (discovery, decode, pipeline, Parquet writing);
the Python sides are J worker processes of one thread each
(`benches/compare/pipeline_vs_peers.py` describes them). All sides run with glibc's
allocator told to keep freed buffers (`MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=1073741824`), which the Python sides need to be fast.

{table}

Agreement of medprep with the scipy side: {agree_text}. Largest absolute differences:
{", ".join(f"`{k}` {v:.2g}" for v, k in biggest)}.{f" Not compared, ill-conditioned ratios of zero-mean maps: {', '.join(f'`{e}`' for e in exempt)}." if exempt else ""}

Measured {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on:
- CPU: {cpu_model()}, {os.cpu_count()} logical cores
- OS: {os_description()}
- {rustc_version()}, medprep {medprep_revision()}
- Python {platform.python_version()}, {", ".join(f"{d} {v}" for d, v in versions.items() if v)}

Rerun: `PY=$(scripts/python-env.sh | tail -1); "$PY" benches/compare/pipeline_vs_peers.py --write benches/RESULTS.md`
"""
        write_section(args.write if args.write.is_absolute() else Path.cwd() / args.write,
                      "ct-standard pipeline", section)
    return 0 if not failing else 1


if __name__ == "__main__":
    sys.exit(main())
