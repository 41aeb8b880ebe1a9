"""The training stages behind ``pretrain.py`` and ``train.py``.

Both follow mmseg's ``tools/train.py``; everything that can be wrong with the input
is checked before the model is built, and the source checkpoint, the correction
wiring and the datasets (which check their files) are in place before the first
iteration.
"""
import os.path as osp

from mmcv.utils import print_log
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor

from ..correction import configure_correction
from ..datasets.validation import check_dataset_files
from ..utils.config_checks import ConfigError, check_file
from ..utils.param_report import param_table
from ..checkpoints.source_mapping import load_source_checkpoint
from .run_setup import (apply_train_args, build_train_parser, cli_argv, close_logger,
                        load_config, setup_run)
from .train import eval_hook_of, resolve_resume, train_segmentor

#: samples per dataset whose files are opened and checked before training
DEFAULT_DATA_CHECK_FILES = 8


def _check_source_checkpoint(cfg):
    """An adaptation run starts from a source checkpoint unless it resumes or loads
    a full adapted one."""
    if resolve_resume(cfg) or cfg.get('load_from'):
        return None
    source = cfg.get('source_checkpoint')
    if not source:
        raise ConfigError('source_checkpoint: not set; pass --source-checkpoint PATH or '
                          'set source_checkpoint in the config')
    return check_file(source, '--source-checkpoint / config key source_checkpoint')


def _build_datasets(cfg, logger):
    """Training set(s) per workflow phase, their first files opened and checked."""
    datasets = [build_dataset(cfg.data.train)]
    if len(cfg.workflow) == 2:
        datasets.append(build_dataset(cfg.data.val))
    for dataset in datasets:
        check_dataset_files(dataset,
                            cfg.get('data_check_files', DEFAULT_DATA_CHECK_FILES))
    print_log(f'training set: {len(datasets[0])} images', logger)
    return datasets


def _summary(runner, cfg):
    """What a stage returns to its caller."""
    hook_msgs = runner.meta.get('hook_msgs', {})
    latest = osp.join(cfg.work_dir, 'latest.pth')
    eval_hook = eval_hook_of(runner)
    return dict(
        work_dir=osp.abspath(cfg.work_dir), iters=runner.iter,
        last_checkpoint=osp.realpath(latest) if osp.exists(latest) else None,
        best_checkpoint=hook_msgs.get('best_ckpt'),
        best_score=hook_msgs.get('best_score'),
        metrics=eval_hook.latest_metrics if eval_hook is not None else None)


def run_training(args, argv, adaptation):
    """Run one training stage from parsed CLI arguments.

    Args:
        args (argparse.Namespace): from :func:`run_setup.build_train_parser`.
        argv (list[str]): the command line (recorded in the work dir).
        adaptation (bool): ``train.py`` (source checkpoint, label correction) or
            ``pretrain.py``.

    Returns:
        dict: ``work_dir``, ``iters``, ``last_checkpoint``, ``best_checkpoint``,
        ``best_score`` and ``metrics`` (latest evaluation, None without one).
    """
    cfg = apply_train_args(load_config(args), args)
    source = None
    if adaptation:
        source = _check_source_checkpoint(cfg)
        # adapted checkpoints leave out the frozen backbone (it is in the source
        # checkpoint); prompt_only_checkpoints=False in the config writes full ones
        cfg.setdefault('prompt_only_checkpoints', True)
        configure_correction(cfg, cfg.work_dir)
    stage = 'train' if adaptation else 'pretrain'
    ctx = setup_run(cfg, args, argv, stage)
    try:
        model = build_segmentor(cfg.model, train_cfg=cfg.get('train_cfg'),
                                test_cfg=cfg.get('test_cfg'))
        model.init_weights()
        if source is not None:
            load_source_checkpoint(model, source, logger=ctx.logger)
        ctx.logger.info('parameters:\n' + param_table(model)[1])
        datasets = _build_datasets(cfg, ctx.logger)
        model.CLASSES = datasets[0].CLASSES
        ctx.meta.update(CLASSES=list(datasets[0].CLASSES),
                        PALETTE=[list(c) for c in datasets[0].PALETTE or []])
        runner = train_segmentor(model, datasets, cfg, ctx.dist,
                                 validate=not args.no_validate, timestamp=ctx.timestamp,
                                 meta=ctx.meta, logger=ctx.logger)
        return _summary(runner, cfg)
    finally:
        close_logger()


def pretrain_main(argv=None):
    """``pretrain.py``: source training; returns :func:`run_training`'s summary."""
    argv = cli_argv(argv)
    args = build_train_parser('train a source segmentation model').parse_args(argv)
    return run_training(args, argv, adaptation=False)


def train_main(argv=None):
    """``train.py``: adaptation; returns :func:`run_training`'s summary."""
    argv = cli_argv(argv)
    parser = build_train_parser('adapt a source model to the target domain',
                                adaptation=True)
    return run_training(parser.parse_args(argv), argv, adaptation=True)
