"""Stage 2: pseudo-label Cityscapes train with the 8 source models
(generate_pseudo_label.py on configs/pseudo_label/).

    python launcher_pseudo_label.py --dry-run  # list the commands
    python launcher_pseudo_label.py --only NAME --gpus 4  # one run on 4 GPUs
    python launcher_pseudo_label.py --smoke --only NAME  # 2 toy iterations
    python launcher_pseudo_label.py --seeds 0 1 2  # one run: labels shared by all seeds

See mmseg_uvpt/launch/launcher.py.
"""
import sys

from mmseg_uvpt.launch.launcher import main

if __name__ == '__main__':
    sys.exit(main('pseudo_label'))
