#!/usr/bin/env bash
# One-step, idempotent install of the mmseg_uvpt stack.
#
#   tools/install.sh                 # into ./.venv (created if missing)
#   tools/install.sh --current-env   # into the Python that runs `python3` (or $PYTHON)
#
# Installs the pinned requirements, builds mmcv-full 1.7.2 from its sdist (CPU ops
# always, CUDA ops when nvcc and a GPU are present or FORCE_CUDA=1; the wheel is cached
# under ~/.cache/mmseg_uvpt), installs mmsegmentation without its stale deps, installs
# this package in editable mode and proves the stack by importing it.
# A second run on the same machine checks a stamp and the imports, and takes seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

use_current="${UVPT_USE_CURRENT_ENV:-0}"
for arg in "$@"; do
  case "$arg" in
    --current-env) use_current=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$use_current" = 1 ]; then
  py="${PYTHON:-python3}"
else
  if [ ! -x .venv/bin/python ]; then
    echo "install.sh: creating .venv"
    "${PYTHON:-python3}" -m venv .venv
  fi
  py="$root/.venv/bin/python"
fi

prefix="$("$py" -c 'import sys; print(sys.prefix)')"
stamp="$prefix/.mmseg_uvpt_install_stamp"
want="$(cat requirements.txt pyproject.toml tools/install.sh tools/build_mmcv.py | sha256sum | cut -c1-16)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$py" -m mmseg_uvpt.utils.check_stack; then
  echo "install.sh: up to date ($py)"
  exit 0
fi

pip_install() { "$py" -m pip install --disable-pip-version-check "$@"; }

echo "install.sh: installing pinned requirements into $prefix"
reqs="$(mktemp)"
trap 'rm -f "$reqs"' EXIT
grep -v -E '^(mmcv-full|mmsegmentation)==' requirements.txt > "$reqs"
pip_install -q -r "$reqs"

"$py" tools/build_mmcv.py

mmseg_pin="$(grep -E '^mmsegmentation==' requirements.txt)"
pip_install -q --no-deps "$mmseg_pin"
pip_install -q --no-deps --no-build-isolation -e .

"$py" -m mmseg_uvpt.utils.check_stack
echo "$want" > "$stamp"
echo "install.sh: done ($py)"
