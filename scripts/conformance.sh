#!/usr/bin/env bash
# Decodes every test image of pydicom, pydicom-data and fixtures/ with pydicom and with
# medprep, compares them, and writes docs/conformance.md. Fails on any difference not
# listed in scripts/conformance_gaps.toml. MEDPREP_BIN selects the binary to test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="$(scripts/python-env.sh | tail -1)"
if [ -z "${MEDPREP_BIN:-}" ]; then
  cargo build --release --quiet --bin medprep
  MEDPREP_BIN="$root/target/release/medprep"
fi
"$py" scripts/make_fixtures.py --check
exec "$py" -W error::DeprecationWarning scripts/conformance.py --medprep "$MEDPREP_BIN" --report docs/conformance.md "$@"
