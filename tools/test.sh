#!/usr/bin/env bash
# Install what is needed (idempotent; seconds when already installed) and run the tests.
# Extra arguments go to pytest, e.g. `bash tools/test.sh -k correction`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/install.sh
# CPU tests; GPU-marked tests skip themselves without a CUDA device
exec .venv/bin/python -m pytest tests "$@"
