#!/usr/bin/env bash
# Builds the Linux wheel of this machine's architecture into dist/: one abi3 wheel (every
# CPython >= 3.10 installs it) tagged manylinux2014 (glibc >= 2.17). zig links it against
# glibc 2.17's symbols, so the newer glibc of the build machine does not leak into the wheel;
# the SIMD kernels are still chosen at run time, so one wheel serves every x86-64 CPU.
#
#   scripts/build_wheel.sh [more maturin build options]
#
# Installs its build tools (maturin, ziglang) into the active Python environment if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4,<2.0" "ziglang>=0.13"

# An explicit target triple keeps these zig-linked artefacts in their own folder of the cargo
# target directory, next to (not over) those of `pip install .` and `cargo test`.
target="$(rustc -vV | sed -n 's/^host: //p')"
rm -f dist/zcfast-*-linux_*.whl dist/zcfast-*manylinux*.whl
RUSTFLAGS="${RUSTFLAGS:--C debuginfo=0}" python -m maturin build --release --locked \
    --zig --compatibility manylinux2014 --target "$target" --out dist "$@"
ls dist/zcfast-*manylinux*.whl
