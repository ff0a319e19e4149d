#!/usr/bin/env bash
# The GPU checks in one short run (a few minutes on an H100/H200): the CUDA tests, then the
# figures of scripts/device_check.py, written to $OUT (or device-results/).  On a machine
# without PyPI, run scripts/device_prepare.sh first where pip works and carry .whl along; the
# wheels are installed into /tmp/site.
#
#   scripts/device_check.sh [--formula "..."] [--quick]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-device-results}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
python3 -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'" || exit 1
# the CUDA tests (they skip themselves without a GPU)
timeout 240 python3 -m pytest -q -p no:cacheprovider -k cuda tests/test_metrics.py \
    tests/test_export.py 2>&1 | tee "$OUT/cuda_tests.log"
timeout 420 python3 scripts/device_check.py --out "$OUT" "$@" 2>&1 | tee "$OUT/device_check.log"
