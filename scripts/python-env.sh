#!/usr/bin/env bash
# Creates (once) the test virtualenv from scripts/requirements-test.txt and prints its
# python as the last line of stdout:  PY=$(scripts/python-env.sh | tail -1)
# The venv lives in $MEDPREP_VENV, else .cache/venv; it is rebuilt when the
# requirements change. pip output goes to the venv's install.log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${MEDPREP_VENV:-$root/.cache/venv}"
requirements="$root/scripts/requirements-test.txt"
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"

if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
  echo "python-env: installing test packages into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  if ! "$venv/bin/python" -m pip install --quiet -r "$requirements" >"$venv/install.log" 2>&1; then
    echo "python-env: pip install failed; see $venv/install.log" >&2
    tail -20 "$venv/install.log" >&2
    exit 1
  fi
  echo "$wanted" >"$venv/.requirements.sha256"
fi
echo "$venv/bin/python"
