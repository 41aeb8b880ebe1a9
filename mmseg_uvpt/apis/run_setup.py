"""Command line, config and environment set-up shared by the stage scripts.

Everything here runs before the model is built: a wrong config path, option key,
data folder or checkpoint path fails at once with a message naming it. The set-up is
repeatable in one process (the toy-demo orchestrator calls the scripts' ``main``
one after another), so the log handlers of a run are replaced by the next run's.
"""
import argparse
import json
import logging
import os.path as osp
import sys
import time
from dataclasses import dataclass, field

import mmcv
import torch
from mmcv.utils import Config, DictAction
from mmcv.utils.logging import logger_initialized
from mmseg.apis import init_random_seed, set_random_seed
from mmseg.utils import collect_env, get_root_logger

from ..utils.cli_errors import add_debug_arg
from ..utils.config_checks import (check_cfg_options, check_config_file,
                                   check_dataset_paths, check_file)
from ..utils.distributed import LAUNCHERS, DistInfo, init_distributed
from ..utils.git_version import git_version

LOGGER_NAME = 'mmseg'  # mmseg's root logger, which mmcv's runner and hooks use


def cli_argv(argv):
    """The command line of a ``main(argv)``: ``sys.argv[1:]`` when None, else strings."""
    return sys.argv[1:] if argv is None else [str(a) for a in argv]


def add_common_args(parser):
    """Options of every stage script: ``--cfg-options``, ``--launcher``, ``--debug``."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. optimizer.lr=1e-5 (the key must exist)')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher: none, pytorch (torchrun), slurm, mpi')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0,
                        help=argparse.SUPPRESS)
    add_debug_arg(parser)


def build_train_parser(description, adaptation=False):
    """mmseg 0.x ``tools/train.py`` options (+ ``--source-checkpoint`` to adapt)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help='train config file')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument('--load-from', help='checkpoint whose weights start the run')
    parser.add_argument('--resume-from', help='checkpoint to resume the run from')
    parser.add_argument('--auto-resume', action='store_true',
                        help='resume from the latest checkpoint in the work dir')
    parser.add_argument('--no-validate', action='store_true',
                        help='no evaluation during training')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic cuDNN kernels')
    if adaptation:
        parser.add_argument('--source-checkpoint',
                            help='source model checkpoint (overrides the config key '
                                 'source_checkpoint)')
    add_common_args(parser)
    return parser


def load_config(args):
    """Read ``args.config`` and apply ``--cfg-options``, checking both first."""
    cfg = Config.fromfile(check_config_file(args.config))
    check_cfg_options(cfg, args.cfg_options)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def resolve_work_dir(cfg, args):
    """``--work-dir`` > config ``work_dir`` > ``./work_dirs/<config name>``."""
    if getattr(args, 'work_dir', None):
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg.work_dir


def apply_train_args(cfg, args):
    """Fold the training CLI into ``cfg`` and check the paths it names."""
    resolve_work_dir(cfg, args)
    if args.load_from:
        cfg.load_from = args.load_from
    if args.resume_from:
        cfg.resume_from = args.resume_from
    cfg.auto_resume = args.auto_resume or cfg.get('auto_resume', False)
    if getattr(args, 'source_checkpoint', None):
        cfg.source_checkpoint = args.source_checkpoint
    for key, opt in (('load_from', '--load-from'), ('resume_from', '--resume-from')):
        if cfg.get(key):
            check_file(cfg[key], f'{opt} / config key {key}')
    splits = ('train', 'val') if not args.no_validate else ('train',)
    check_dataset_paths(cfg, splits)
    return cfg


def unique_timestamp(work_dir, stage):
    """mmseg's ``%Y%m%d_%H%M%S`` run stamp, suffixed when a run of the same second
    (a quick resume) already used it, so that no log file is overwritten."""
    stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    candidate, count = stamp, 0
    while osp.exists(osp.join(work_dir, f'{stage}_{candidate}.log')):
        count += 1
        candidate = f'{stamp}_{count}'
    return candidate


def fresh_logger(log_file, log_level):
    """mmseg's root logger writing to ``log_file``, replacing an earlier run's
    handlers (mmcv initialises a logger once per process and would keep writing
    to the first run's file)."""
    close_logger()
    return get_root_logger(log_file=log_file, log_level=log_level)


def close_logger():
    """Detach and close every handler of mmseg's root logger."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)
    logger_initialized.pop(LOGGER_NAME, None)


@dataclass
class RunContext:
    """What the set-up of a run produced.

    Args:
        cfg (mmcv.Config): the final config.
        dist (DistInfo): process placement.
        logger (logging.Logger): the run's logger.
        timestamp (str): names the log files.
        meta (dict): goes into every checkpoint's ``meta``.
    """
    cfg: Config
    dist: DistInfo
    logger: logging.Logger
    timestamp: str
    meta: dict = field(default_factory=dict)


def setup_run(cfg, args, argv, stage):
    """Join the process group, create the work dir, save the config and git
    version there, start the log, seed the generators.

    Args:
        cfg (mmcv.Config): the checked config with the CLI folded in.
        args (argparse.Namespace): needs ``seed``, ``deterministic``, ``launcher``
            and ``config``.
        argv (list[str]): the command line, recorded in ``run_info.json``.
        stage (str): ``'pretrain'``, ``'train'`` or ``'test'``.
    """
    info = init_distributed(args.launcher, cfg.get('dist_params'))
    cfg.device = info.device
    mmcv.mkdir_or_exist(osp.abspath(cfg.work_dir))
    timestamp = unique_timestamp(cfg.work_dir, stage)
    logger = fresh_logger(osp.join(cfg.work_dir, f'{stage}_{timestamp}.log'),
                          cfg.get('log_level', 'INFO'))

    seed = init_random_seed(getattr(args, 'seed', None), device=info.device)
    deterministic = bool(getattr(args, 'deterministic', False))
    cfg.seed = seed
    set_random_seed(seed, deterministic=deterministic)
    # set both flags every run: an earlier in-process run may have changed them
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = bool(cfg.get('cudnn_benchmark', False)) \
        and not deterministic

    commit, dirty = git_version()
    env_info = '\n'.join(f'{k}: {v}' for k, v in collect_env().items())
    meta = dict(env_info=env_info, seed=seed, exp_name=osp.basename(args.config),
                git_hash=commit + ('-dirty' if dirty else ''), config=cfg.pretty_text)
    if info.rank == 0:
        cfg.dump(osp.join(cfg.work_dir, osp.basename(args.config)))
        run_info = dict(stage=stage, argv=list(argv), config=osp.abspath(args.config),
                        git_hash=commit, git_dirty=dirty, seed=seed,
                        deterministic=deterministic, world_size=info.world_size,
                        device=info.device, timestamp=timestamp,
                        python=sys.version.split()[0], torch=torch.__version__,
                        mmcv=mmcv.__version__)
        with open(osp.join(cfg.work_dir, f'run_info_{timestamp}.json'), 'w') as f:
            json.dump(run_info, f, indent=2)
    logger.info(f'{stage}: {" ".join(argv)}\ngit {meta["git_hash"]}, seed {seed}, '
                f'deterministic {deterministic}, {info.world_size} process(es) on '
                f'{info.device}\nEnvironment:\n{env_info}\nConfig:\n{cfg.pretty_text}')
    return RunContext(cfg, info, logger, timestamp, meta)
