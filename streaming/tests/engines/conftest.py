"""Session fixtures of the engine tests: the release binaries, a small corpus with its
reference tables from `medprep run`, and one SparkSession (local[2], Hive support with a
Derby metastore) shared by every Spark test.

Java and PySpark are required when CI is set (a missing one fails the run); elsewhere
the tests that need them are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from support import Corpus, Reference

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"
# The CT fixtures the ct-standard recipe accepts: four encodings of one slice and a
# four-frame enhanced CT with per-frame rescale.
CT_FIXTURES = ["ct_slice.dcm", "ct_12bit.dcm", "ct_rle.dcm", "ct_jpegls.dcm", "multiframe_ct.dcm"]
MIN_JAVA = 17


def require(ok: bool, reason: str) -> None:
    """Fails under CI (nothing may be skipped there), skips elsewhere."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _target_dir() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    return Path(target) if target else ROOT / "target"


def _binary(name: str) -> Path:
    binary = _target_dir() / "release" / name
    if not binary.is_file():
        cargo = shutil.which("cargo")
        if cargo is None:
            pytest.fail(f"{binary} is not built and cargo is not on PATH")
        subprocess.run(
            [cargo, "build", "--release", "-p", "medprep-cli", "--bin", name], cwd=ROOT, check=True
        )
    return binary


@pytest.fixture(scope="session")
def medprep_bin() -> Path:
    """The release `medprep` binary, built with cargo when missing."""
    return _binary("medprep")


@pytest.fixture(scope="session")
def mapper_bin() -> Path:
    """The release `preprocess_image` binary (the Hadoop Streaming mapper)."""
    return _binary("preprocess_image")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    """The CT fixtures and three synthetic slices copied into one folder, plus a text file
    in that folder; the path list adds a path that does not exist."""
    base = tmp_path_factory.mktemp("corpus")
    folder = base / "dicom"
    folder.mkdir()
    for name in CT_FIXTURES:
        shutil.copyfile(FIXTURES / name, folder / name)
    generated = base / "generated"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_corpus.py"), str(generated), "--n", "3",
         "--size", "96", "--spacing", "3.5", "--slice-thickness", "60", "--syntax",
         "explicit,rle", "--quiet"],
        check=True,
    )
    for syntax in ("explicit", "rle"):
        for path in sorted((generated / syntax).glob("*.dcm")):
            shutil.copyfile(path, folder / f"synth_{syntax}_{path.name}")
    good = sorted(folder.glob("*.dcm"))
    not_dicom = folder / "notes.txt"
    not_dicom.write_text("not a DICOM file\n")
    missing = folder / "missing.dcm"
    return Corpus(folder=folder, good=good, not_dicom=not_dicom, missing=missing)


@pytest.fixture(scope="session")
def reference(corpus, medprep_bin, tmp_path_factory) -> Reference:
    """`medprep run` over the good files of the corpus: the expected values."""
    out = tmp_path_factory.mktemp("medprep-run")
    done = subprocess.run(
        [str(medprep_bin), "run", *map(str, corpus.good), "--out", str(out), "--quiet",
         "--recipe", "ct-standard"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    return Reference(
        out=out,
        scans=pq.read_table(out / "scans.parquet"),
        features=pq.read_table(out / "features.parquet"),
    )


def _java_version() -> int | None:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not Path(java).exists():
        return None
    done = subprocess.run([java, "-version"], capture_output=True, text=True)
    # `openjdk version "17.0.15" ...` or `java version "1.8.0_..."`
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One SparkSession for the whole run: local[2], Hive support, Derby metastore and
    warehouse in a temporary folder, no UI, two shuffle partitions, errors-only logging."""
    java = _java_version()
    require(java is not None and java >= MIN_JAVA,
            f"Spark needs Java {MIN_JAVA}+ (found {java or 'none'}; scripts/setup.sh installs it)")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        require(False, "pyspark is not installed (scripts/requirements-test.txt pins it)")
    home = tmp_path_factory.mktemp("spark")
    log4j = home / "log4j2.properties"
    log4j.write_text(
        "rootLogger.level = error\n"
        "rootLogger.appenderRef.stderr.ref = console\n"
        "appender.console.type = Console\n"
        "appender.console.name = console\n"
        "appender.console.target = SYSTEM_ERR\n"
        "appender.console.layout.type = PatternLayout\n"
        "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n"
    )
    # Spark's Python workers must import medprep and pyarrow from this environment.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("medprep-engine-tests")
        # Loopback only: CI machines may have no resolvable host name or network.
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={home / 'metastore'};create=true")
        .config("spark.driver.extraJavaOptions",
                f"-Dderby.system.home={home} -Dlog4j2.configurationFile=file:{log4j}")
        .enableHiveSupport()
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
