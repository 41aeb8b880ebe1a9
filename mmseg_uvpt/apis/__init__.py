"""Run-time of the four stages: training, evaluation (and pseudo-labels).

The scripts ``pretrain.py``, ``train.py`` and ``test.py`` are thin wrappers around
:func:`pretrain_main`, :func:`train_main` and :func:`evaluate_main`, which can be
called repeatedly in one process with a list of CLI arguments.
"""
from .checkpoint import load_model_checkpoint, to_checkpoint_safe
from .data import ResumableIterLoader, ResumableSampler, build_loader, loader_settings
from .hooks import NonFiniteLossError, NonFiniteLossHook, UVPTDistEvalHook, UVPTEvalHook
from .optimizer import UVPTOptimizerConstructor
from .pseudo_label import generate_pseudo_labels  # noqa: F401
from .rng import get_rng_state, set_rng_state
from .run_setup import build_train_parser, load_config
from .runner import UVPTIterBasedRunner
from .stages import pretrain_main, run_training, train_main
from .testing import build_test_parser, run_test, evaluate_main
from .train import train_segmentor

__all__ = [
    'NonFiniteLossError', 'NonFiniteLossHook', 'ResumableIterLoader', 'ResumableSampler',
    'UVPTDistEvalHook', 'UVPTEvalHook', 'UVPTIterBasedRunner', 'UVPTOptimizerConstructor',
    'build_loader', 'build_test_parser', 'build_train_parser', 'get_rng_state',
    'load_config', 'load_model_checkpoint', 'loader_settings', 'pretrain_main',
    'run_test', 'run_training', 'set_rng_state', 'evaluate_main', 'to_checkpoint_safe',
    'train_main', 'train_segmentor',
]
