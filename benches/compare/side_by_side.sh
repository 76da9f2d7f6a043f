#!/usr/bin/env bash
# The whole comparison in one go, on one machine, one part after the other:
#   1. decode to HU against pydicom and its plugins (decode_vs_pydicom.py),
#   2. ct-standard end to end against the scipy and OpenCV peers, with peak memory
#      (pipeline_vs_peers.py),
#   3. peak memory of medprep run and preprocess_image over 100 to 2,000 inputs
#      (run_memory.py).
# Each part replaces its own section of the results file (default benches/RESULTS.md).
# The Python sides run in their own virtualenv (.cache/bench-venv: the test packages
# plus benches/compare/requirements.txt). Run it on an otherwise idle machine.
#
#   benches/compare/side_by_side.sh [RESULTS_MD]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
results="$(realpath "${1:-benches/RESULTS.md}")"

py="$(MEDPREP_VENV="$root/.cache/bench-venv" scripts/python-env.sh | tail -1)"
"$py" -m pip install --quiet -r benches/compare/requirements.txt

cargo build --release --locked -p medprep-cli -p medprep-benches \
  --bin medprep --bin preprocess_image --bin decode-throughput

"$py" benches/compare/decode_vs_pydicom.py --no-build --write "$results"
"$py" benches/compare/pipeline_vs_peers.py --no-build --write "$results"
"$py" benches/compare/run_memory.py --write "$results"
