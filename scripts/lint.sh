#!/usr/bin/env bash
# The lint gate; any problem fails it. Each step prints a one-line `lint:` header first.
#   scripts/lint.sh          the Rust checks: rustfmt, clippy (every target, warnings
#                            denied), rustdoc (warnings denied), and the crates that have
#                            a `gpu` feature built without it. scripts/test.sh runs it
#                            before building anything.
#   scripts/lint.sh stubs PY the type stubs python/medprep/_native.pyi against the
#                            compiled module `medprep._native` installed in the virtualenv
#                            of PY (mypy's stubtest, pinned in requirements-test.txt).
#                            scripts/test-python.sh runs it right after installing the
#                            module.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "lint: $*" >&2; }

if [ "${1:-}" = stubs ]; then
  PY="${2:?usage: scripts/lint.sh stubs PYTHON}"
  step "stubtest: python/medprep/_native.pyi against medprep._native ($PY)"
  # From the repository root, where no `medprep` package is on the path: the module and
  # its stub are the installed ones (the wheel ships the .pyi and py.typed).
  "$PY" -m mypy.stubtest medprep._native --mypy-config-file scripts/stubtest.ini
  exit 0
fi

step "rustfmt: cargo fmt --all --check"
cargo fmt --all --check

step "clippy: cargo clippy --workspace --all-targets --locked -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rustdoc: cargo doc --workspace --no-deps --locked (RUSTDOCFLAGS=-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked

# `medprep` and `medprep-runner` are the crates with a `gpu` feature (default on); the
# code behind `cfg(feature = "gpu")` must not be needed to build the rest. Clippy is the
# check that denies warnings (an import used only by GPU code, say) without changing
# RUSTFLAGS, which would rebuild every dependency.
step "no gpu: cargo clippy -p medprep -p medprep-runner --no-default-features --locked -- -D warnings"
tree="$(cargo tree -e features -i medprep -p medprep-runner --no-default-features --locked)"
if grep -q 'medprep feature "gpu"' <<<"$tree"; then
  echo 'lint: medprep-runner without default features still enables medprep/gpu' >&2
  exit 1
fi
cargo clippy -p medprep -p medprep-runner --no-default-features --locked -- -D warnings

step "ok"
