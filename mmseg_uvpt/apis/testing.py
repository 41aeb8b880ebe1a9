"""The evaluation stage behind ``test.py`` (mmseg 0.x ``tools/test.py`` semantics).

Loads a trained checkpoint safely and strictly, runs single-scale (or ``--aug-test``
multi-scale + flip) inference on ``cfg.data.test``, prints mmseg's per-class table
and the class means (mIoU over all classes and the dataset's ``eval_subsets``, e.g.
mIoU16/mIoU13), writes them as JSON (with the checkpoint's training seed,
``train_seed``), and optionally colour overlays and submission files
(``--format-only``; for ACDC and Dark Zurich the server's layout and a zip, see
``datasets/submission.py``).
"""
import argparse
import json
import os.path as osp

import mmcv
from mmcv.utils import DictAction
from mmseg.apis import multi_gpu_test, single_gpu_test
from mmseg.datasets import build_dataset
from mmseg.models import build_segmentor

from ..datasets.metric_checks import check_eval_metrics
from ..datasets.validation import check_dataset_inputs
from ..runtime.checkpoint_loading import load_model_checkpoint
from ..runtime.data_loading import build_loader, loader_settings
from ..utils.config_checks import ConfigError, check_dataset_paths, check_file
from ..utils.distributed import set_norm_layers, wrap_model
from .run_setup import add_common_args, cli_argv, close_logger, load_config, setup_run

AUG_TEST_RATIOS = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def build_test_parser():
    """mmseg 0.x ``tools/test.py`` options (``--out`` writes JSON metrics)."""
    parser = argparse.ArgumentParser(description='evaluate a trained segmentor')
    parser.add_argument('config', help='test config file')
    parser.add_argument('checkpoint', help='checkpoint file (full or prompt-only)')
    parser.add_argument('--source-checkpoint',
                        help='source checkpoint of a prompt-only checkpoint, if not '
                             'where it was at training time (default: the config\'s '
                             'source_checkpoint, then the recorded path)')
    parser.add_argument('--work-dir', help='folder for the log and the metrics JSON')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument('--eval', type=str, nargs='+',
                        help='metrics, e.g. mIoU (or cityscapes for its own tool)')
    parser.add_argument('--format-only', action='store_true',
                        help='write submission files only (imgfile_prefix in '
                             '--eval-options)')
    parser.add_argument('--aug-test', action='store_true',
                        help='multi-scale (0.5..1.75) and flip test')
    parser.add_argument('--show-dir', help='write colour-palette overlays here')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='overlay opacity in (0, 1]')
    parser.add_argument('--gpu-collect', action='store_true',
                        help='collect DDP results through GPU tensors')
    parser.add_argument('--tmpdir', help='folder for collecting DDP results')
    parser.add_argument('--eval-options', nargs='+', action=DictAction,
                        help='kwargs of dataset.evaluate / format_results')
    add_common_args(parser)
    return parser


def _check_args(args):
    if not (args.eval or args.format_only or args.show_dir or args.out):
        raise ConfigError('test.py has nothing to do: give --eval mIoU, --format-only, '
                          '--show-dir or --out')
    if args.out and not args.out.endswith('.json'):
        raise ConfigError(f'--out: {args.out} must be a .json file')
    if not 0 < args.opacity <= 1:
        raise ConfigError(f'--opacity must be in (0, 1], got {args.opacity}')
    check_file(args.checkpoint, 'checkpoint')


def _enable_aug_test(cfg):
    """Multi-scale and flip in the test pipeline's ``MultiScaleFlipAug``."""
    steps = [s for s in cfg.data.test.pipeline if s.get('type') == 'MultiScaleFlipAug']
    if not steps:
        raise ConfigError('--aug-test: data.test.pipeline has no MultiScaleFlipAug step')
    for step in steps:
        step.img_ratios = AUG_TEST_RATIOS
        step.flip = True


def class_means(metrics, dataset):
    """``mIoU<C>`` (all classes) plus the dataset's ``eval_subsets`` means, in %, for
    SYNTHIA's subsets the release's derived figures beside them (``mIoU16_release``,
    ``mIoU13_release``; see ``release_synthia_means``), and the mIoU of each of the
    dataset's image groups (``mIoU_fog``, ...: ACDC's conditions)."""
    means = {f'mIoU{len(dataset.CLASSES)}': metrics['mIoU'] * 100}
    subsets = list(getattr(dataset, 'eval_subsets', {}) or {})
    groups = [f'mIoU_{name}' for name in getattr(dataset, 'image_groups', dict)()]
    for name in subsets + [f'{name}_release' for name in subsets] + groups:
        if name in metrics:
            means[name] = metrics[name] * 100
    return means


def train_seed(meta):
    """The seed the checkpoint was trained with (``meta['seed']``, which the training
    stages record), or None; ``tools/results_table.py`` averages the seeds of a run
    by it."""
    seed = meta.get('seed') if isinstance(meta, dict) else None
    try:
        return None if seed is None else int(seed)
    except (TypeError, ValueError):
        return None


def _write_json(path, payload):
    mmcv.mkdir_or_exist(osp.dirname(osp.abspath(path)))
    with open(path, 'w') as f:
        json.dump(payload, f, indent=2)


def _pack_submission(dataset, imgfile_prefix, logger):
    """Zip what ``--format-only`` wrote when the dataset formats for a test server
    (``pack_format_results``: ACDC, Dark Zurich); returns the zip or None."""
    if not hasattr(dataset, 'pack_format_results'):
        return None
    for warning in dataset.submission_warnings():
        logger.warning(f'submission: {warning}')
    path = dataset.pack_format_results(imgfile_prefix)
    logger.info(f'submission for the {dataset.SUBMISSION_SERVER} server: {path}')
    return path


def run_test(args, argv):
    """Evaluate ``args.checkpoint``; returns ``dict(metrics, means, json, show_dir,
    submission)`` (metrics/means None without ``--eval``; on ranks > 0 as well;
    ``submission``: the zip ``--format-only`` packed for a test server, else None)."""
    cfg = load_config(args)
    _check_args(args)
    if args.eval:
        check_eval_metrics(args.eval, cfg.data.test, '--eval')
    if args.aug_test:
        _enable_aug_test(cfg)
    cfg.data.test.test_mode = True
    eval_on_format = bool(args.eval) and 'cityscapes' in args.eval
    check_dataset_paths(cfg, ('test',), need_labels=bool(args.eval))
    cfg.work_dir = args.work_dir or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    eval_kwargs = dict(args.eval_options or {})
    if (args.format_only or eval_on_format) and 'imgfile_prefix' not in eval_kwargs:
        eval_kwargs['imgfile_prefix'] = osp.join(cfg.work_dir, 'format_results')
    ctx = setup_run(cfg, args, argv, 'test')
    try:
        dataset = build_dataset(cfg.data.test)
        check_dataset_inputs(dataset)
        loader = build_loader(dataset, loader_settings(cfg.data, 'test'), ctx.dist,
                              train=False)
        model = build_segmentor(cfg.model, train_cfg=None, test_cfg=cfg.get('test_cfg'))
        checkpoint = load_model_checkpoint(
            model, args.checkpoint, ctx.logger,
            source_checkpoint=args.source_checkpoint or cfg.get('source_checkpoint'))
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
        model.CLASSES = meta.get('CLASSES', dataset.CLASSES)
        model.PALETTE = meta.get('PALETTE', dataset.PALETTE)
        model = wrap_model(set_norm_layers(model, ctx.dist, sync_bn=False), ctx.dist)
        pre_eval = bool(args.eval) and not eval_on_format
        format_only = args.format_only or eval_on_format
        if ctx.dist.distributed:
            if args.show_dir:
                ctx.logger.warning('--show-dir is ignored under a launcher (as in mmseg)')
            results = multi_gpu_test(
                model, loader, args.tmpdir or osp.join(cfg.work_dir, '.dist_test'),
                args.gpu_collect, pre_eval=pre_eval, format_only=format_only,
                format_args=eval_kwargs)
        else:
            results = single_gpu_test(
                model, loader, out_dir=args.show_dir, opacity=args.opacity,
                pre_eval=pre_eval, format_only=format_only, format_args=eval_kwargs)
        summary = dict(metrics=None, means=None, json=None, show_dir=args.show_dir,
                       submission=None)
        if args.format_only and ctx.dist.rank == 0:
            summary['submission'] = _pack_submission(dataset,
                                                     eval_kwargs['imgfile_prefix'],
                                                     ctx.logger)
        if ctx.dist.rank != 0 or not args.eval:
            return summary
        metrics = dataset.evaluate(results, metric=args.eval, logger=ctx.logger,
                                   **eval_kwargs)
        metrics = {k: float(v) for k, v in metrics.items()}
        means = class_means(metrics, dataset) if 'mIoU' in metrics else {}
        ctx.logger.info('class means: '
                        + ', '.join(f'{k} {v:.2f}' for k, v in means.items()))
        path = args.out or osp.join(cfg.work_dir, f'eval_{ctx.timestamp}.json')
        _write_json(path, dict(config=args.config, checkpoint=args.checkpoint,
                               train_seed=train_seed(meta), aug_test=args.aug_test,
                               means=means, metrics=metrics))
        summary.update(metrics=metrics, means=means, json=path)
        return summary
    finally:
        close_logger()


def evaluate_main(argv=None):
    """``test.py``: returns :func:`run_test`'s summary."""
    argv = cli_argv(argv)
    return run_test(build_test_parser().parse_args(argv), argv)
