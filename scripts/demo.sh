#!/usr/bin/env bash
# The main job on the bundled fixtures: the ct-standard recipe over fixtures/, writing
# out/scans.parquet, out/features.parquet, out/errors.jsonl and out/tables.sql.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --bin medprep --locked
target/release/medprep run fixtures --out out
