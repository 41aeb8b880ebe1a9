"""Stage 3: adapt the 8 source models with Uni-UVPT (train.py on configs/uvpt/).

    python launcher_train.py --dry-run  # list the commands
    python launcher_train.py --only NAME --gpus 4  # one run on 4 GPUs
    python launcher_train.py --smoke --only NAME  # 2 toy iterations
    python launcher_train.py --seeds 0 1 2  # .../seed{N}, one shared source model

See mmseg_uvpt/launch/launcher.py.
"""
import sys

from mmseg_uvpt.launch.launcher import main

if __name__ == '__main__':
    sys.exit(main('train'))
