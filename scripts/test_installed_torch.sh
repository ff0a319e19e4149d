#!/usr/bin/env bash
# The first run of a user who installed `zcfast[torch]` and nothing else: a fresh virtual
# environment with the wheel and its torch extra only (scikit-learn comes with it), then the
# commands the README shows for PyTorch: score-archs on a sample, a live search, and the
# README's live example (the Python block after its `<!-- live-example -->` marker).
#
#   scripts/test_installed_torch.sh WHEEL [PYTHON]      (CI: scripts/ci_wheel.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wheel="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
python="${2:-python3}"
venv="${ZCFAST_TORCH_VENV:-$HOME/.cache/zcfast/torch-venv}"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheel}[torch]"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export PATH="$venv/bin:$PATH" OMP_NUM_THREADS=2
zcfast score-archs --sample 3 --out scores --batch-size 16 --no-progress
zcfast search --live --proxy nwot --budget 5 --batch-size 16 --no-progress
python - "$root/README.md" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
match = re.search(r"<!-- live-example -->\s*```python\n(.*?)```", text, re.S)
assert match, "README.md has no <!-- live-example --> block"
exec(compile(match.group(1), "README.md (live example)", "exec"), {"__name__": "__main__"})
print("the README's live example ran with zcfast[torch] alone")
PY
