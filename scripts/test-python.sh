#!/usr/bin/env bash
# Builds the Python module (pip runs maturin, fetched as the build requirement) into the
# test virtualenv, checks its type stubs (mypy's stubtest) and runs its pytest suite.
# pytest and mypy must be in the virtualenv.
#   scripts/test-python.sh [PYTEST ARGS...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PY="$(scripts/python-env.sh | tail -1)"
"$PY" -m pip install --quiet ./python
# The stubs (python/medprep/_native.pyi) against the module just installed.
scripts/lint.sh stubs "$PY"
"$PY" -m pytest python/tests -q "$@"
