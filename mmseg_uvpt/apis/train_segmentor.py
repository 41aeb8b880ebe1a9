"""mmseg's ``train_segmentor`` for torch 2, CPU or GPU, DDP or not.

Differences from mmseg 0.30's ``train_segmentor`` (see docs/architecture.md):

- loaders from :mod:`mmseg_uvpt.runtime.data_loading` (persistent workers only with
  workers, resumable order);
- model placement by what the machine has, SyncBN only for DDP on GPUs, and DDP
  on CPU processes (gloo) as well;
- :class:`UVPTIterBasedRunner` (atomic checkpoints, exact resume) replaces
  ``IterBasedRunner``, and :class:`NonFiniteLossHook` guards every run;
- evaluation keeps the best checkpoint by ``mIoU`` unless the config says otherwise.
"""
import copy
import os.path as osp

from mmcv.runner import build_runner
from mmseg.core import build_optimizer
from mmseg.datasets import build_dataset
from mmseg.utils import find_latest_checkpoint

from ..core.hooks import NonFiniteLossHook, UVPTDistEvalHook, UVPTEvalHook
from ..core.optimizer_constructor import UVPTOptimizerConstructor
from ..runtime.data_loading import build_loader, loader_settings
from ..runtime.runner import UVPTIterBasedRunner
from ..utils.config_checks import ConfigError
from ..utils.distributed import set_norm_layers, wrap_model

RUNNER_TYPE = UVPTIterBasedRunner.__name__


def resolve_resume(cfg):
    """The checkpoint to resume from: ``resume_from``, or with ``auto_resume`` the
    latest one in the work dir (None in a new work dir). Sets ``cfg.resume_from``."""
    if not cfg.get('resume_from') and cfg.get('auto_resume'):
        cfg.resume_from = find_latest_checkpoint(cfg.work_dir) \
            if osp.isdir(cfg.work_dir) else None
    return cfg.get('resume_from')


def runner_config(cfg):
    """``cfg.runner`` with mmcv's ``IterBasedRunner`` upgraded to ours."""
    runner = copy.deepcopy(cfg.get('runner') or {})
    if 'max_iters' not in runner:
        raise ConfigError('runner.max_iters: not set in the config')
    if runner.get('type', 'IterBasedRunner') in ('IterBasedRunner', RUNNER_TYPE):
        runner['type'] = RUNNER_TYPE
    return runner


def optimizer_settings(cfg):
    """``cfg.optimizer`` with :class:`UVPTOptimizerConstructor` as the default
    constructor: it equals mmcv's default except that ``norm_decay_mult`` also
    reaches norms inside ``custom_keys`` modules, which is what a config with both
    means (e.g. no decay on norms with LR multipliers on the head)."""
    optimizer = copy.deepcopy(cfg.optimizer)
    optimizer.setdefault('constructor', UVPTOptimizerConstructor.__name__)
    return optimizer


def build_eval_hook(cfg, info, dataset=None):
    """Evaluation on ``cfg.data.val`` every ``evaluation.interval`` iterations,
    keeping the best checkpoint by ``evaluation.save_best`` (default ``mIoU``).
    ``dataset``: that validation set already built (test mode), if the caller has it."""
    if dataset is None:
        dataset = build_dataset(cfg.data.val, dict(test_mode=True))
    loader = build_loader(dataset, loader_settings(cfg.data, 'val'), info, train=False)
    eval_cfg = dict(copy.deepcopy(cfg.get('evaluation', {})))
    eval_cfg['by_epoch'] = False
    eval_cfg.setdefault('save_best', 'mIoU')
    eval_cfg.setdefault('pre_eval', True)
    if info.distributed:
        return UVPTDistEvalHook(loader, **eval_cfg)
    return UVPTEvalHook(loader, **eval_cfg)


def _close_writers(runner):
    """Close logger-hook writers (TensorBoard) when a run ends by an error, since
    their ``after_run`` never comes."""
    for hook in runner.hooks:
        writer = getattr(hook, 'writer', None)
        if writer is not None and hasattr(writer, 'close'):
            writer.close()


def train_segmentor(model, datasets, cfg, info, validate=True, timestamp=None,
                    meta=None, logger=None, val_dataset=None):
    """Train ``model`` on ``datasets`` as configured.

    Args:
        model (nn.Module): the segmentor, weights initialised or loaded.
        datasets (list[Dataset]): the training set(s), one per workflow phase.
        cfg (mmcv.Config): the run config (``data``, ``optimizer``,
            ``optimizer_config``, ``lr_config``, ``runner``, ``checkpoint_config``,
            ``log_config``, ``evaluation``, ``custom_hooks``, ``workflow``,
            ``resume_from``, ``load_from``, ``auto_resume``, ``seed``, ``sync_bn``,
            ``find_unused_parameters``, ``work_dir``, ``source_checkpoint``,
            ``prompt_only_checkpoints``).
        info (DistInfo): process placement.
        validate (bool): evaluate on ``cfg.data.val`` during training.
        timestamp (str | None): names the JSON log.
        meta (dict | None): stored in every checkpoint.
        logger (logging.Logger | None): the run's logger.
        val_dataset (Dataset | None): ``cfg.data.val`` built in test mode, if the
            caller already has it (built here otherwise).

    Returns:
        UVPTIterBasedRunner: the runner after the run (its eval hook, if any, holds
        ``latest_metrics``).
    """
    train_settings = loader_settings(cfg.data, 'train')
    loaders = [build_loader(ds, train_settings, info, cfg.seed, train=True)
               for ds in datasets]
    model = set_norm_layers(model, info, cfg.get('sync_bn', True))
    model = wrap_model(model, info, cfg.get('find_unused_parameters', False))
    optimizer = build_optimizer(model, optimizer_settings(cfg))
    runner = build_runner(runner_config(cfg), default_args=dict(
        model=model, batch_processor=None, optimizer=optimizer, work_dir=cfg.work_dir,
        logger=logger, meta=dict(meta or {})))
    runner.timestamp = timestamp
    runner.use_source_checkpoint(cfg.get('source_checkpoint'),
                                 cfg.get('prompt_only_checkpoints', False))
    runner.register_training_hooks(
        copy.deepcopy(cfg.lr_config), copy.deepcopy(cfg.optimizer_config),
        copy.deepcopy(cfg.checkpoint_config), copy.deepcopy(cfg.log_config),
        copy.deepcopy(cfg.get('momentum_config')),
        custom_hooks_config=copy.deepcopy(cfg.get('custom_hooks')))
    runner.register_hook(NonFiniteLossHook(), priority='HIGH')
    if validate:
        runner.register_hook(build_eval_hook(cfg, info, val_dataset), priority='LOW')

    resume_from = resolve_resume(cfg)
    if resume_from:
        runner.resume(resume_from)
    elif cfg.get('load_from'):
        runner.load_checkpoint(cfg.load_from)
    try:
        runner.run(loaders, cfg.workflow)
    except BaseException:
        _close_writers(runner)
        raise
    return runner


def eval_hook_of(runner):
    """The runner's evaluation hook, or None."""
    return next((h for h in runner.hooks
                 if isinstance(h, (UVPTEvalHook, UVPTDistEvalHook))), None)
