#!/usr/bin/env bash
# The whole test suite: the lint gate (scripts/lint.sh), Rust unit, integration and doc
# tests (including the references
# computed at test time with numpy, scipy, SimpleITK, scikit-image, pyarrow and DuckDB,
# and the GPU backend against the CPU on whatever Vulkan/Metal/DX12 adapter exists;
# lavapipe in CI), the Python module's pytest suite, the engine tests (the Hadoop
# Streaming mapper under mrjob and Spark, Spark SQL over Hive tables, the Python module
# in Spark), then the pydicom conformance suite over pydicom's bundled test files and
# medprep's fixtures. Everything builds in the release profile so the binaries are
# built once (the lint gate only checks, in the dev profile).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
# In CI a missing GPU adapter fails the GPU tests instead of skipping them: setup.sh has
# installed lavapipe where there is no other Vulkan driver.
if [ -n "${CI:-}" ]; then
  export MEDPREP_REQUIRE_GPU=1
fi
MEDPREP_PYTHON="$(scripts/python-env.sh | tail -1)"
export MEDPREP_PYTHON
# rustfmt, clippy and rustdoc with warnings denied, and the build without the GPU
# backend; the Python stubs are checked by test-python.sh once the module is installed.
scripts/lint.sh
cargo build --release --workspace --bins --locked
cargo test --release --workspace --locked
scripts/test-python.sh
scripts/test-engines.sh
scripts/conformance.sh
