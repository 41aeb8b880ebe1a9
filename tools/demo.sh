#!/usr/bin/env bash
# Install what is needed (idempotent) and run the whole Uni-UVPT pipeline on the built-in
# toy benchmark: generate + convert toy data, pretrain a tiny source model, generate
# pseudo-labels, adapt with Uni-UVPT, test. Results: work_dirs/toy_demo/summary.json.
# Extra arguments go to tools/toy_demo.py (see --help).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash tools/install.sh
exec .venv/bin/python tools/toy_demo.py "$@"
