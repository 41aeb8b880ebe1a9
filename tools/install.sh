#!/usr/bin/env bash
# One-step, idempotent install of the mmseg_uvpt stack.
#
#   tools/install.sh                               # into ./.venv (created if missing)
#   tools/install.sh --current-env                 # into `python3` (or $PYTHON)
#   tools/install.sh --current-env --offline DIR   # no package index: from a wheelhouse
#
# Installs the pinned requirements, builds mmcv-full 1.7.2 from its sdist (CPU ops
# always, CUDA ops when nvcc and a GPU are present or FORCE_CUDA=1; the wheel is cached
# under ~/.cache/mmseg_uvpt), installs mmsegmentation without its stale deps, installs
# this package in editable mode and proves the stack by importing it.
# A second run on the same machine checks a stamp and the imports, and takes seconds.
#
# --offline DIR (a folder made by tools/wheelhouse.sh) never reaches a package index:
# pip runs with --no-index from DIR, the environment's torch (2.11 to 2.14) and
# torchvision are kept as they are, so are the packages the wheelhouse left out (see
# DIR/wheelhouse.json), and mmcv-full is built for the present GPU's architecture only
# (or a matching wheel from the build cache or DIR/mmcv-wheels/ is reused).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

use_current="${UVPT_USE_CURRENT_ENV:-0}"
offline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --current-env) use_current=1 ;;
    --offline)
      [ $# -ge 2 ] || { echo "install.sh: --offline needs a wheelhouse folder" >&2; exit 2; }
      offline="$(cd "$2" 2>/dev/null && pwd)" \
        || { echo "install.sh: --offline: no folder '$2'" >&2; exit 2; }
      shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$use_current" = 1 ]; then
  py="${PYTHON:-python3}"
elif [ -n "$offline" ]; then
  # a venv made here would hold no torch, and torch is never downloaded offline
  echo "install.sh: --offline installs into an environment that has torch: add --current-env" >&2
  exit 2
else
  if [ ! -x .venv/bin/python ]; then
    echo "install.sh: creating .venv"
    "${PYTHON:-python3}" -m venv .venv
  fi
  py="$root/.venv/bin/python"
fi

prefix="$("$py" -c 'import sys; print(sys.prefix)')"
stamp="$prefix/.mmseg_uvpt_install_stamp"
want="$(cat requirements.txt pyproject.toml tools/install.sh tools/build_mmcv.py tools/offline_plan.py | sha256sum | cut -c1-16)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$py" -m mmseg_uvpt.utils.check_stack; then
  echo "install.sh: up to date ($py)"
  exit 0
fi

pip_install() { "$py" -m pip install --disable-pip-version-check "$@"; }

reqs="$(mktemp)"
constraints="$(mktemp)"
trap 'rm -f "$reqs" "$constraints"' EXIT
build_args=()
if [ -z "$offline" ]; then
  echo "install.sh: installing pinned requirements into $prefix"
  grep -v -E '^(mmcv-full|mmsegmentation)==' requirements.txt > "$reqs"
  pip_install -q -r "$reqs"
else
  start=$SECONDS
  # every check before the first install: the pins to take from the wheelhouse, and
  # constraints that hold torch, torchvision and the left-out packages where they are
  "$py" tools/offline_plan.py "$offline" requirements.txt "$reqs" "$constraints"
  export PIP_NO_INDEX=1 PIP_FIND_LINKS="$offline"
  echo "install.sh: installing from $offline with --no-index into $prefix"
  pip_install -q -r "$reqs" -c "$constraints"
  build_args=(--sdist "$offline/mmcv-full-1.7.2.tar.gz" --prebuilt "$offline/mmcv-wheels")
fi

"$py" tools/build_mmcv.py ${build_args[@]+"${build_args[@]}"}

mmseg_pin="$(grep -E '^mmsegmentation==' requirements.txt)"
pip_install -q --no-deps "$mmseg_pin"
pip_install -q --no-deps --no-build-isolation -e .

"$py" -m mmseg_uvpt.utils.check_stack
echo "$want" > "$stamp"
if [ -n "$offline" ]; then
  echo "install.sh: done ($py), offline, in $((SECONDS - start)) s"
else
  echo "install.sh: done ($py)"
fi
