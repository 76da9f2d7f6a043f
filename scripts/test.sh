#!/usr/bin/env bash
# The whole test suite: Rust unit, integration and doc tests, then the pydicom
# conformance suite over pydicom's bundled test files and medprep's fixtures.
# Everything builds in the release profile so the binaries are built once.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --workspace --bins --locked
cargo test --release --workspace --locked
scripts/conformance.sh
