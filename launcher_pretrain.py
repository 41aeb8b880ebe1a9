"""Stage 1: pretrain the paper's 8 source models (pretrain.py on configs/pretrain/).

    python launcher_pretrain.py --dry-run  # list the commands
    python launcher_pretrain.py --only NAME --gpus 4  # one run on 4 GPUs
    python launcher_pretrain.py --smoke --only NAME  # 2 toy iterations
    python launcher_pretrain.py --seeds 0 1 2  # a source model per seed, .../seed{N}

See mmseg_uvpt/launch/launcher.py.
"""
import sys

from mmseg_uvpt.launch.launcher import main

if __name__ == '__main__':
    sys.exit(main('pretrain'))
