#!/usr/bin/env bash
# The code is kept clean by these checks; CI (.ci/run) runs them after the test suite.
# Needs the test extra (ruff, mypy) and the extension installed (stubtest imports it).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
ruff check .
ruff format --check .
mypy
python -m mypy.stubtest zcfast._core
