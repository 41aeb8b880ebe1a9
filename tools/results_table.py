"""The paper's table from test.py outputs: ``python tools/results_table.py WORK_DIRS...``

Reads every ``eval_*.json`` under the folders (see
:mod:`mmseg_uvpt.launch.run_results`), e.g. ``work_dirs/test``,
``work_dirs/test_release`` or the toy demo's ``work_dirs/toy_demo``. Runs of several
training seeds (``launcher_*.py --seeds``, ``tools/toy_demo.py --seeds``) are shown
as mean ± sample std and n.
"""
import sys

from mmseg_uvpt.launch.run_results import main

if __name__ == '__main__':
    sys.exit(main())
