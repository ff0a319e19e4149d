#!/usr/bin/env bash
# Tests an installed zcfast (from a wheel, not the source tree) with what needs neither build
# tools nor PyTorch: the README's main job (`zcfast evolve --demo`) and the smoke set of Python
# tests below, run from a copy of tests/ so that the source's python/ folder cannot stand in
# for the installed package.  Used by CI (scripts/ci_wheel.sh) and the release workflow.
#
#   scripts/test_installed.sh [pytest options]    (in the environment the wheel is in)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# What the smoke tests import besides zcfast; wheels only, so nothing is ever compiled.
python -m pip install --quiet --disable-pip-version-check --only-binary :all: \
    "pytest>=8" "hypothesis>=6.100" "scipy>=1.10" "pandas>=2" "pyarrow>=14"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$root/tests" "$work/tests"
cd "$work"

python - <<'PY'
import pathlib, sysconfig, zcfast, zcfast._core
site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
where = pathlib.Path(zcfast.__file__).resolve()
assert site in where.parents, f"zcfast imported from {where}, not from {site}"
print(f"zcfast {zcfast.__version__}: {pathlib.Path(zcfast._core.__file__).name} in {where.parent}")
PY

zcfast evolve --demo
python -m pytest -q -p no:cacheprovider \
    tests/test_stats.py tests/test_evolve.py tests/test_layerwise.py \
    tests/test_expression.py tests/test_inputs.py tests/test_demo.py "$@"
