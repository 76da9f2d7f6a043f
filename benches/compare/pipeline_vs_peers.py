#!/usr/bin/env python3
"""The ct-standard workload end to end: medprep against the same pipeline in Python.

Every side processes the same 512x512 CT slices (0.7 mm pixels, made by
scripts/gen_corpus.py if missing) from files on disk to the 160 ct-standard features,
with the same number of workers J (--jobs, default "1,2"):

  medprep  `medprep run DIR --recipe ct-standard --device cpu --jobs J --quiet` into a
           fresh output folder: the whole process, including discovery, decoding and
           writing both Parquet files.
  scipy    pydicom + numpy + scipy.ndimage, exactly the pipeline of docs/architecture.md
           (numeric conventions; the stages of core/tests/reference/ct_standard.py, the
           parity reference of the test suite), J worker processes (multiprocessing,
           spawn), one thread each.
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

Timing: one untimed warm-up per side (medprep: a whole run; Python: the first 10 files
per worker), then --passes timed passes over all files, the sides taking turns pass by
pass (the first side rotates) so that a drift in the machine's speed touches all alike;
images/s = files / median pass time.

  medprep gpu  the same run with --device gpu, when medprep finds a hardware adapter
               (--no-gpu skips it). A software adapter (lavapipe) is a CPU emulating a
               GPU: it is skipped unless --software-gpu asks for it, and then named as
               such, since its numbers say nothing about GPU speed.

Peak memory: medprep's is the peak resident size (VmHWM) each run reports with
MEDPREP_REPORT_PEAK_MEMORY=1, the largest over the passes; a Python side's is the peak resident size
(VmHWM) of its J worker processes, summed, since each holds its own copy of everything.

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
import re
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


class PythonSide:
    """One Python side: a pool of `jobs` worker processes kept for all its passes."""

    def __init__(self, side: str, jobs: int):
        import multiprocessing as mp
        self.name, self.fn = side, SIDES[side]
        # spawn, not fork: a forked worker's resident size would count the pages it
        # shares with this process (pyarrow and all), inflating its peak memory.
        self.pool = mp.get_context("spawn").Pool(jobs, initializer=init_worker)
        self.jobs = jobs

    def warm_up(self, files: list[str]) -> None:
        self.pool.map(self.fn, files[:WARMUP] * self.jobs, chunksize=1)

    def one_pass(self, files: list[str]) -> tuple[float, dict[str, list[float]]]:
        chunk = max(1, len(files) // (8 * self.jobs))
        start = time.perf_counter()
        results = self.pool.map(self.fn, files, chunksize=chunk)
        return time.perf_counter() - start, dict(results)

    def peak_rss_kib(self) -> int:
        """The workers' peak resident memory (VmHWM), summed: each is its own process."""
        return sum(vm_hwm_kib(worker.pid) for worker in self.pool._pool)

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class MedprepSide:
    """`medprep run` on one device; every pass is a fresh process into a fresh folder."""

    def __init__(self, exe: Path, corpus_dir: Path, device: str, jobs: int, scratch: Path):
        self.exe, self.corpus_dir, self.device, self.jobs = exe, corpus_dir, device, jobs
        self.name = f"medprep {device}"
        self.scratch = scratch
        self.peak_kib = 0
        self.last_out: Path | None = None
        self.runs = 0

    def run(self, out: Path) -> tuple[float, str]:
        if out.exists():
            shutil.rmtree(out)
        start = time.perf_counter()
        # The process reports its own VmHWM: a child's ru_maxrss from wait4 would include
        # this Python process's resident size, which the forked child held before exec.
        run = subprocess.run([str(self.exe), "run", str(self.corpus_dir), "--out", str(out),
                              "--recipe", "ct-standard", "--device", self.device,
                              "--jobs", str(self.jobs), "--quiet"],
                             env=dict(os.environ, MEDPREP_REPORT_PEAK_MEMORY="1"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            raise MedprepFailed(run.returncode, run.stderr)
        match = re.search(r"peak memory \(VmHWM\) (\d+) kB", run.stderr)
        if not match:
            sys.exit(f"no peak memory line in:\n{run.stderr}")
        self.peak_kib = max(self.peak_kib, int(match.group(1)))
        self.last_out = out
        return seconds, run.stderr

    def warm_up(self, files: list[str]) -> str:
        return self.run(self.scratch / f"{self.device}-warm")[1]

    def one_pass(self, files: list[str]) -> tuple[float, None]:
        self.runs += 1
        out = self.scratch / f"{self.device}-jobs{self.jobs}-pass{self.runs}"
        if self.last_out is not None and self.last_out.exists():
            shutil.rmtree(self.last_out)
        return self.run(out)[0], None

    def peak_rss_kib(self) -> int:
        return self.peak_kib

    def close(self) -> None:
        pass


class MedprepFailed(Exception):
    def __init__(self, code: int, stderr: str):
        super().__init__(f"medprep run exited with {code}:\n{stderr}")
        self.code, self.stderr = code, stderr


NO_GPU = "needs a GPU and none is usable"
# wgpu's device type in medprep's status line for an adapter that runs on the CPU.
SOFTWARE_ADAPTER = "Cpu,"


def gpu_side(exe: Path, corpus_dir: Path, jobs: int, scratch: Path, files: list[str], software: bool):
    """The GPU side and the adapter's description, or (None, why) without a GPU to time."""
    side = MedprepSide(exe, corpus_dir, "gpu", jobs, scratch)
    try:
        stderr = side.warm_up(files)
    except MedprepFailed as failed:
        if failed.code == 2 and NO_GPU in failed.stderr:
            return None, "no usable GPU"
        raise
    adapter = next((line.split("device gpu", 1)[1].strip() for line in stderr.splitlines()
                    if "medprep: device gpu" in line), "unknown adapter")
    if SOFTWARE_ADAPTER in adapter and not software:
        return None, f"{adapter}, a software adapter: skipped (--software-gpu times it)"
    return side, adapter


def timed_passes(sides: list, files: list[str], passes: int):
    """Alternates the sides pass by pass (the first side rotates), so that a drift in the
    machine's speed touches every side alike; returns each side's median pass time."""
    times: dict[str, list[float]] = {side.name: [] for side in sides}
    results: dict[str, dict] = {}
    for p in range(passes):
        for side in sides[p % len(sides):] + sides[:p % len(sides)]:
            seconds, result = side.one_pass(files)
            times[side.name].append(seconds)
            if result is not None:
                results[side.name] = result
    return {name: statistics.median(t) for name, t in times.items()}, results


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
    parser.add_argument("--no-gpu", action="store_true", help="skip the medprep --device gpu side")
    parser.add_argument("--software-gpu", action="store_true",
                        help="time the GPU side on a software adapter too (lavapipe: not GPU speed)")
    parser.add_argument("--write", type=Path, default=None, metavar="RESULTS_MD")
    args = parser.parse_args()

    corpus = args.corpus or default_corpus()
    ensure_corpus(corpus, ["explicit"], args.n, 512)
    corpus_dir = corpus / "explicit"
    files = sorted(str(p) for p in corpus_dir.glob("*.dcm"))
    exe = (Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release" / "medprep"
           if args.no_build else build_medprep())
    jobs_list = [int(j) for j in args.jobs.split(",")]
    if not importlib.util.find_spec("cv2"):
        log("cv2 not installed: the opencv side is skipped (pip install -r benches/compare/requirements.txt)")
    init_worker()
    check_fast_statistics(files[0])
    names = [f"{m}_{s}" for m in REF.MAPS for s in REF.STATS]

    peers = ["scipy"] + (["opencv"] if importlib.util.find_spec("cv2") else [])
    rates: dict[tuple[str, int], float] = {}
    peaks: dict[tuple[str, int], int] = {}
    agreements: dict[str, tuple] = {}
    adapter = "not tried (--no-gpu)"
    with tempfile.TemporaryDirectory() as scratch_root:
        scratch = Path(scratch_root)
        for jobs in jobs_list:
            sides: list = [MedprepSide(exe, corpus_dir, "cpu", jobs, scratch)]
            if not args.no_gpu:
                gpu, adapter = gpu_side(exe, corpus_dir, jobs, scratch, files, args.software_gpu)
                sides += [gpu] if gpu else []
            sides += [PythonSide(peer, jobs) for peer in peers]
            try:
                for side in sides:
                    side.warm_up(files)
                medians, results = timed_passes(sides, files, args.passes)
                for side in sides:
                    rates[(side.name, jobs)] = len(files) / medians[side.name]
                    peaks[(side.name, jobs)] = side.peak_rss_kib()
                    log(f"{side.name:<12} jobs={jobs}: {rates[(side.name, jobs)]:.1f} images/s, "
                        f"peak RSS {peaks[(side.name, jobs)] / 1024:.0f} MiB")
                for side in sides:
                    if isinstance(side, MedprepSide):
                        agreements[side.name] = agreement(side.last_out / "features.parquet",
                                                          results["scipy"], names)
            finally:
                for side in sides:
                    side.close()

    names_in_order = [n for n in ("medprep cpu", "medprep gpu") if (n, jobs_list[0]) in rates] + peers
    speed = ["| workers | " + " | ".join(f"{n} images/s" for n in names_in_order) + " | "
             + " | ".join(f"medprep cpu / {p}" for p in peers) + " |",
             "| ---: |" + " ---: |" * (len(names_in_order) + len(peers))]
    memory = ["| workers | " + " | ".join(f"{n} peak RSS, MiB" for n in names_in_order) + " |",
              "| ---: |" + " ---: |" * len(names_in_order)]
    for jobs in jobs_list:
        m = rates[("medprep cpu", jobs)]
        speed.append(f"| {jobs} | " + " | ".join(f"{rates[(n, jobs)]:.1f}" for n in names_in_order) + " | "
                     + " | ".join(f"{m / rates[(p, jobs)]:.1f}x" for p in peers) + " |")
        memory.append(f"| {jobs} | " + " | ".join(f"{peaks[(n, jobs)] / 1024:.1f}" for n in names_in_order) + " |")
    table = "\n".join(speed) + "\n\nPeak resident memory (medprep: the process; Python: its J workers, summed):\n\n" \
        + "\n".join(memory)
    agree_lines = []
    failing_any = False
    for name, (worst, failing, exempt, rows) in agreements.items():
        failing_any |= bool(failing)
        biggest = sorted(((v, k) for k, v in worst.items() if k not in exempt), reverse=True)[:3]
        verdict = (f"all {len(names) - len(exempt)} compared features within 1e-4 + 1e-3 |scipy| on all {rows} slices"
                   if not failing else f"OUTSIDE tolerance: {', '.join(failing)}")
        agree_lines.append(
            f"- {name} against scipy: {verdict}. Largest absolute differences: "
            + ", ".join(f"`{k}` {v:.2g}" for v, k in biggest)
            + (f". Not compared, ill-conditioned ratios of zero-mean maps: {', '.join(f'`{e}`' for e in exempt)}."
               if exempt else "."))
    agree_text = "\n".join(agree_lines)
    gpu_text = (f"GPU side: {adapter}." + (" This is a software adapter (a CPU emulating a GPU): its numbers "
                                          "say nothing about GPU speed." if args.software_gpu and SOFTWARE_ADAPTER in adapter else ""))
    print(table)
    print()
    print(agree_text)
    print(gpu_text)

    if args.write:
        versions = {d: version_of(d) for d in ("numpy", "scipy", "pydicom", "opencv-python-headless")}
        section = f"""## ct-standard pipeline

{len(files)} CT slices of 512x512, 0.7 mm pixels ({display_path(corpus_dir)}, made by
`scripts/gen_corpus.py --n {args.n} --size 512`), from files on disk to the 160
ct-standard features, median of {args.passes} passes after a warm-up, the sides taking
turns pass by pass. medprep is the
whole `medprep run ... --jobs J` process (discovery, decode, pipeline, Parquet writing);
the Python sides are J worker processes of one thread each
(`benches/compare/pipeline_vs_peers.py` describes them). All sides run with glibc's
allocator told to keep freed buffers (`MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=1073741824`), which the Python sides need to be fast.

{table}

Agreement of each medprep side's features.parquet with the scipy side's features:

{agree_text}

{gpu_text}

Measured {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on:
- CPU: {cpu_model()}, {os.cpu_count()} logical cores
- OS: {os_description()}
- {rustc_version()}, medprep {medprep_revision()}
- Python {platform.python_version()}, {", ".join(f"{d} {v}" for d, v in versions.items() if v)}

Rerun: `PY=$(scripts/python-env.sh | tail -1); "$PY" benches/compare/pipeline_vs_peers.py --write benches/RESULTS.md`
"""
        write_section(args.write if args.write.is_absolute() else Path.cwd() / args.write,
                      "ct-standard pipeline", section)
    return 0 if not failing_any else 1


if __name__ == "__main__":
    sys.exit(main())
