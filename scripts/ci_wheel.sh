#!/usr/bin/env bash
# CI step for the wheel users install: build it (scripts/build_wheel.sh), check that auditwheel
# calls it manylinux and that its tag is abi3, then install it into a fresh virtual environment
# whose PATH has no cargo or rustc and test it there (scripts/test_installed.sh), and into
# another with its torch extra alone (scripts/test_installed_torch.sh).  The fresh
# environment uses another CPython minor version when this machine has one, since one abi3
# wheel must serve them all.
#
#   scripts/ci_wheel.sh [pytest options for the smoke tests]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

scripts/build_wheel.sh
wheels=(dist/zcfast-*manylinux*.whl)  # build_wheel.sh leaves exactly one
wheel="${wheels[0]}"
python -m pip install --quiet --disable-pip-version-check "auditwheel>=6"
report="$(auditwheel show "$wheel")"
echo "$report"
case "$(basename "$wheel")" in
    *-cp310-abi3-*manylinux*) ;;
    *) echo "ci_wheel: expected a cp310-abi3 manylinux wheel, found $wheel" >&2; exit 1 ;;
esac
grep -q 'consistent with the following platform tag' <<<"$report"
grep -Eq '"manylinux_2_[0-9]+_[a-z0-9_]+"' <<<"$report" || {
    echo "ci_wheel: auditwheel reports no manylinux tag for $wheel" >&2; exit 1
}

# PATH without any folder holding cargo or rustc: the install must not need them.
no_rust_path=""
IFS=: read -r -a folders <<<"$PATH"
for folder in "${folders[@]}"; do
    [[ -x "$folder/cargo" || -x "$folder/rustc" ]] || no_rust_path="${no_rust_path:+$no_rust_path:}$folder"
done

# Another CPython than the one that built the wheel (3.11 here) when pyenv has one;
# ZCFAST_SMOKE_PYTHON names one explicitly.
smoke_python="${ZCFAST_SMOKE_PYTHON:-}"
if [[ -z "$smoke_python" ]] && command -v pyenv >/dev/null; then
    for version in 3.12 3.13 3.10; do
        installed="$(pyenv versions --bare | grep -E "^$version\.[0-9]+$" | tail -n 1 || true)"
        if [[ -z "$smoke_python" && -n "$installed" ]]; then
            smoke_python="$(pyenv root)/versions/$installed/bin/python$version"
        fi
    done
fi
smoke_python="${smoke_python:-python3}"

venv="${ZCFAST_WHEEL_VENV:-$HOME/.cache/zcfast/wheel-venv}"
rm -rf "$venv"
"$smoke_python" -m venv "$venv"
# shellcheck disable=SC2016  # $0 and $@ belong to the inner shell
env PATH="$venv/bin:$no_rust_path" VIRTUAL_ENV="$venv" bash -euo pipefail -c '
    if command -v cargo || command -v rustc; then echo "ci_wheel: cargo/rustc on PATH" >&2; exit 1; fi
    python --version
    python -m pip install --quiet --disable-pip-version-check --only-binary :all: "$0"
    scripts/test_installed.sh "$@"
' "$wheel" "$@"
# The torch extra alone (the CLI's PyTorch commands and the README's live example) with this
# machine's CPython, whose torch wheel pip has cached from the test environment.
scripts/test_installed_torch.sh "$wheel" python3
echo "ci_wheel: $(basename "$wheel") built, audited and tested in $((SECONDS - start)) s"
