#!/usr/bin/env bash
# The engine tests: the Hadoop Streaming mapper (preprocess_image) under mrjob's local
# runner and Spark's RDD pipe, Spark SQL with Hive tables over medprep's outputs, and the
# Python module in Spark's mapInArrow (python/examples/spark_features.py). Needs the
# release binaries (built with cargo when missing), Java 17+ and the test virtualenv.
#   scripts/test-engines.sh [PYTEST ARGS...]
# The Python module is installed into the virtualenv when it is missing or older than its
# sources (scripts/test-python.sh installs it too).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PY="$(scripts/python-env.sh | tail -1)"
# The module's sources: the Python package, its Rust crate, the core crate, the lock file.
sources=(python/medprep python/src python/Cargo.toml python/pyproject.toml core/src core/Cargo.toml
         Cargo.toml Cargo.lock)
installed="$("$PY" -c 'import medprep._native as m; print(m.__file__)' 2>/dev/null || true)"
if [ -z "$installed" ] || [ -n "$(find "${sources[@]}" -newer "$installed" -type f \
    -not -path '*/__pycache__/*' -print -quit)" ]; then
  "$PY" -m pip install --quiet ./python
fi
# Spark's Python workers run the same interpreter, with medprep and pyarrow.
export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
"$PY" -m pytest streaming/tests/engines -q -rs "$@"
