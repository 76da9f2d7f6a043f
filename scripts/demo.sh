#!/usr/bin/env bash
# The main job on the bundled fixtures: decode every fixture to Hounsfield units
# (float32 .npy under out/decoded) and describe one of them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --bin medprep --locked
target/release/medprep decode fixtures --out out/decoded
target/release/medprep info fixtures/ct_slice.dcm
