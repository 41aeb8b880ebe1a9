#!/usr/bin/env bash
# Download everything tools/install.sh --offline needs, except torch and torchvision,
# into DIR (default for gpu_check.sh: .wheelhouse/, git-ignored), on a machine that
# reaches a package index. Prints the folder's size.
#
#   tools/wheelhouse.sh DIR [--python 3.12] [--full | --leave-out NAME ...]
#
# By default the big packages GPU images already have (opencv-python-headless, scipy,
# matplotlib, tensorboard, numpy) are left out; --full takes them too. See
# tools/wheelhouse.py --help.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "${PYTHON:-python3}" "$root/tools/wheelhouse.py" "$@"
