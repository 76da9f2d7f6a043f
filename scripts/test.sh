#!/usr/bin/env bash
# The whole test suite: Rust unit, integration and doc tests (including the references
# computed at test time with numpy, scipy, SimpleITK, scikit-image, pyarrow and DuckDB),
# the Python module's pytest suite, the engine tests (the Hadoop Streaming mapper under
# mrjob and Spark, Spark SQL over Hive tables, the Python module in Spark), then the
# pydicom conformance suite over pydicom's bundled test files and medprep's fixtures.
# Everything builds in the release profile so the binaries are built once.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
MEDPREP_PYTHON="$(scripts/python-env.sh | tail -1)"
export MEDPREP_PYTHON
cargo build --release --workspace --bins --locked
cargo test --release --workspace --locked
scripts/test-python.sh
scripts/test-engines.sh
scripts/conformance.sh
