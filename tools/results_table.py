"""The paper's table from test.py outputs: ``python tools/results_table.py WORK_DIRS...``

Reads every ``eval_*.json`` under the folders (see
:mod:`mmseg_uvpt.launch.run_results`), e.g. ``work_dirs/test``,
``work_dirs/test_release`` or the toy demo's ``work_dirs/toy_demo``.
"""
import sys

from mmseg_uvpt.launch.run_results import main

if __name__ == '__main__':
    sys.exit(main())
