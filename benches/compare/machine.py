"""What the comparison scripts share: the repository root, the benchmark corpus, the
machine description recorded with every result, and writing a section of RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from importlib import metadata as _metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def default_corpus() -> Path:
    """$MEDPREP_BENCH_CORPUS, else target/bench-corpus (the Criterion benches use the same)."""
    return Path(os.environ.get("MEDPREP_BENCH_CORPUS") or REPO / "target" / "bench-corpus")


def ensure_corpus(corpus: Path, syntaxes: list[str], n: int, size: int) -> None:
    """Makes the syntaxes' folders with scripts/gen_corpus.py when they are missing or empty."""
    missing = [s for s in syntaxes if not (corpus / s).is_dir() or not any((corpus / s).glob("*.dcm"))]
    if not missing:
        return
    log(f"generating the corpus ({', '.join(missing)}) into {display_path(corpus)} ...")
    cmd = [sys.executable, str(REPO / "scripts" / "gen_corpus.py"), str(corpus), "--n", str(n),
           "--size", str(size), "--syntax", ",".join(missing)]
    subprocess.run(cmd, check=True)


def write_section(path: Path, title: str, section: str) -> None:
    """Replaces the `## {title}` section of the markdown file `path` (or appends it)."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## " + re.escape(title) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return path.name


def medprep_revision() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        return f"commit {out}" if out else "unknown revision"
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_description() -> str:
    name = platform.system()
    try:
        text = Path("/etc/os-release").read_text()
        match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.M)
        if match:
            name = match.group(1)
    except OSError:
        pass
    return f"{name}, kernel {platform.release()}, {platform.machine()}"


def version_of(dist: str) -> str | None:
    try:
        return _metadata.version(dist)
    except _metadata.PackageNotFoundError:
        return None


def rustc_version() -> str:
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
