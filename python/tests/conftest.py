"""Shared paths and fixtures of the medprep Python test suite."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*.dcm"))
CT_SLICE = ROOT / "fixtures" / "ct_slice.dcm"
MULTIFRAME = ROOT / "fixtures" / "multiframe_ct.dcm"


def _target_dir() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    return Path(target) if target else ROOT / "target"


@pytest.fixture(scope="session")
def medprep_cli() -> Path:
    """The release `medprep` binary, built with cargo when it is not there yet."""
    binary = _target_dir() / "release" / "medprep"
    if not binary.is_file():
        cargo = shutil.which("cargo")
        if cargo is None:
            pytest.fail("the medprep binary is not built and cargo is not on PATH")
        subprocess.run(
            [cargo, "build", "--release", "-p", "medprep-cli", "--bin", "medprep"],
            cwd=ROOT,
            check=True,
        )
    return binary
