#!/usr/bin/env bash
# The main job on the bundled fixtures: the ct-standard recipe over fixtures/, writing
# out/scans.parquet, out/features.parquet, out/errors.jsonl and out/tables.sql.
#
# One fixture is an RGB secondary capture without Pixel Spacing: ct-standard cannot
# resample it to 1 mm, so it becomes an error record in out/errors.jsonl and medprep
# exits 1 ("some images failed"). That outcome is part of the demo; any other failure
# (exit 2: bad recipe, unwritable output) stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --bin medprep --locked
status=0
target/release/medprep run fixtures --out out || status=$?
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
echo "demo: tables in out/ (Hive DDL: out/tables.sql); the expected error record is in out/errors.jsonl"
