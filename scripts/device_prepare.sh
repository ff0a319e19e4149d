#!/usr/bin/env bash
# Prepares what scripts/device_check.sh needs on a GPU machine that cannot reach PyPI (as the
# device tool's machines): zcfast's abi3 wheel and the wheels it needs that such a machine
# lacks, for CPython 3.12 on manylinux x86-64, in .whl/ (git-ignored through .git/info/exclude).
#
#   scripts/device_prepare.sh        # here, then carry .whl to the GPU machine
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl && mkdir -p .whl
scripts/build_wheel.sh
cp dist/zcfast-*manylinux*.whl .whl/
python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .whl polars
ls -l .whl
