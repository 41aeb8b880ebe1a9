"""The training stages behind ``pretrain.py`` and ``train.py``.

Both follow mmseg's ``tools/train.py``; everything that can be wrong with the input
is checked before the model is built: the config, the evaluation metric, the datasets
and every image and label they will read (:func:`check_dataset_inputs`). The source
checkpoint and the correction wiring are in place before the first iteration.
"""
import os.path as osp
import time

from mmcv.utils import print_log
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor

from ..correction import configure_correction
from ..datasets.metric_checks import check_eval_metrics
from ..datasets.validation import DEFAULT_FULL_CHECKS, check_dataset_inputs
from ..utils.config_checks import ConfigError, check_file
from ..utils.param_report import param_table
from ..checkpoints.source_mapping import load_source_checkpoint
from .run_setup import (apply_train_args, build_train_parser, cli_argv, close_logger,
                        load_config, setup_run)
from .train_segmentor import eval_hook_of, resolve_resume, train_segmentor

#: samples per dataset whose files are decoded and checked in full before training
#: (config key ``data_check_files``); the others' headers are checked
DEFAULT_DATA_CHECK_FILES = DEFAULT_FULL_CHECKS


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


def _check_eval_metric(cfg, validate):
    """The metric of periodic evaluation is one the validation set has: a typo
    would otherwise surface at the first evaluation, thousands of iterations in."""
    metric = (cfg.get('evaluation') or {}).get('metric')
    if validate and metric is not None:
        check_eval_metrics(metric, cfg.data.val, 'evaluation.metric')


def _build_datasets(cfg, validate, logger):
    """Training set(s) per workflow phase and, with ``validate``, the validation set
    of the evaluation hook (test mode; else None), with every file the run will read
    checked."""
    datasets = [build_dataset(cfg.data.train)]
    if len(cfg.workflow) == 2:
        datasets.append(build_dataset(cfg.data.val))
    val_dataset = build_dataset(cfg.data.val, dict(test_mode=True)) if validate else None
    checked = datasets + ([val_dataset] if validate and len(datasets) == 1 else [])
    start = time.perf_counter()
    count = sum(check_dataset_inputs(dataset, cfg.get('data_check_files',
                                                      DEFAULT_DATA_CHECK_FILES))
                for dataset in checked)
    print_log(f'training set: {len(datasets[0])} images; the files of {count} '
              f'samples checked in {time.perf_counter() - start:.1f} s', logger)
    return datasets, val_dataset


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


def log_batch_change(cfg, world_size, logger):
    """One line when the adaptation's effective batch is not the release's (one GPU,
    batch 1): the LR is not scaled with it, and the correction's epoch is counted
    per process. Returns the line, or None."""
    per_process = cfg.data.get('samples_per_gpu', 1)
    if world_size * per_process == 1:
        return None
    line = (f'{world_size} process(es) x batch {per_process}: effective batch '
            f'{world_size * per_process}, where the release adapts on one GPU at batch '
            '1; the LR is not scaled and the correction\'s epoch is counted per '
            'process (README, "More than one GPU")')
    logger.warning(line)
    return line


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
    _check_eval_metric(cfg, validate=not args.no_validate)
    source = None
    if adaptation:
        source = _check_source_checkpoint(cfg)
        # adapted checkpoints leave out the frozen backbone (it is in the source
        # checkpoint); prompt_only_checkpoints=False in the config writes full ones
        cfg.setdefault('prompt_only_checkpoints', True)
        configure_correction(cfg, cfg.work_dir)
    stage = 'train' if adaptation else 'pretrain'
    ctx = setup_run(cfg, args, argv, stage)
    if adaptation:
        log_batch_change(cfg, ctx.dist.world_size, ctx.logger)
    try:
        # the data first: a broken file stops the run before the model is built
        datasets, val_dataset = _build_datasets(cfg, not args.no_validate, ctx.logger)
        model = build_segmentor(cfg.model, train_cfg=cfg.get('train_cfg'),
                                test_cfg=cfg.get('test_cfg'))
        model.init_weights()
        if source is not None:
            load_source_checkpoint(model, source, logger=ctx.logger)
        param_rows, param_text = param_table(model)
        ctx.logger.info('parameters:\n' + param_text)
        # every checkpoint's meta says what trained (docs/variants.md)
        ctx.meta['parameters'] = {k: param_rows[-1][k]
                                  for k in ('trainable', 'frozen', 'total')}
        model.CLASSES = datasets[0].CLASSES
        ctx.meta.update(CLASSES=list(datasets[0].CLASSES),
                        PALETTE=[list(c) for c in datasets[0].PALETTE or []])
        runner = train_segmentor(model, datasets, cfg, ctx.dist,
                                 validate=not args.no_validate, timestamp=ctx.timestamp,
                                 meta=ctx.meta, logger=ctx.logger,
                                 val_dataset=val_dataset)
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
