"""Stage 4: evaluate the 8 adapted models on Cityscapes val (test.py on configs/uvpt/).

    python launcher_test.py --dry-run  # list the commands
    python launcher_test.py --only NAME --gpus 4  # one run on 4 GPUs
    python launcher_test.py --checkpoint latest  # last checkpoints, not the best
    python launcher_test.py --release  # the release's converted model/release/*.pth
    python launcher_test.py --smoke --only NAME  # 2 toy iterations
    python launcher_test.py --seeds 0 1 2  # seed N's checkpoint, into .../seed{N}
    python tools/results_table.py work_dirs/test  # the paper's table

See mmseg_uvpt/launch/launcher.py.
"""
import sys

from mmseg_uvpt.launch.launcher import main

if __name__ == '__main__':
    sys.exit(main('test'))
