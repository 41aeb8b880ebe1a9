"""The stage commands: pretraining, pseudo-labels, adaptation and evaluation.

The scripts ``pretrain.py``, ``generate_pseudo_label.py``, ``train.py`` and
``test.py`` are thin wrappers around :func:`pretrain_main`,
:func:`generate_pseudo_labels`, :func:`train_main` and :func:`evaluate_main`, which
can be called repeatedly in one process with a list of CLI arguments. The run-time
they drive (runner, loaders, RNG) is in :mod:`mmseg_uvpt.runtime`; the mmcv
extensions they register (hooks, optimizer constructor) in :mod:`mmseg_uvpt.core`.
"""
from .pseudo_label import generate_pseudo_labels
from .run_setup import build_train_parser, load_config
from .stages import pretrain_main, run_training, train_main
from .testing import build_test_parser, evaluate_main, run_test
from .train_segmentor import train_segmentor

__all__ = [
    'build_test_parser', 'build_train_parser', 'evaluate_main', 'generate_pseudo_labels',
    'load_config', 'pretrain_main', 'run_test', 'run_training', 'train_main',
    'train_segmentor'
]
