"""The toy demo: every stage of Uni-UVPT on the built-in toy benchmark, in one process.

Stages (each the same entry point a researcher runs by hand):
data (generate + convert) → pretrain → pseudo-labels → source-only test → adapt → test.
Writes ``summary.json``, ``summary.txt`` and ``grid.png`` (image, ground truth,
source-only, adapted) into the work dir and returns the summary.
:func:`run_toy_demo_seeds` runs it once per seed, in ``<work dir>/seed{N}``, and
adds ``summary_seeds.json`` and ``summary_seeds.txt`` with the mean and sample
standard deviation over the seeds.
"""
import glob
import json
import os
import os.path as osp
import shutil
import statistics
import time

import cv2
import mmcv
import numpy as np

TOY_CONFIGS = dict(
    pretrain='configs/toy/pretrain_mit-tiny.py',
    pseudo_label='configs/toy/pseudo_label_mit-tiny.py',
    test_source='configs/toy/test_source_mit-tiny.py',
    uvpt='configs/toy/uvpt_mit-tiny.py',
)


class StageTimer:
    """Wall-clock seconds per stage, in the order they ran."""

    def __init__(self):
        self.seconds = {}

    def run(self, name, fn, *args, **kwargs):
        print(f'\n===== toy demo: {name} =====', flush=True)
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.seconds[name] = round(time.perf_counter() - start, 1)
        return result


def _miou(test_summary):
    """The test stage's mIoU in percent."""
    return 100.0 * test_summary['metrics']['mIoU']


def _colorize(label, palette):
    out = np.zeros(label.shape + (3, ), np.uint8)
    for class_id, color in enumerate(palette):
        out[label == class_id] = color
    return out[..., ::-1]  # RGB palette -> BGR for cv2


def write_grid(cfg_path, checkpoints, out_path, num_images=4):
    """One row per target val image: image, ground truth, then one prediction per model.

    Args:
        cfg_path (str): a config whose ``data.test`` is the target val set.
        checkpoints (dict[str, tuple[str, str]]): column name -> (config, checkpoint).
        out_path (str): the PNG to write.
        num_images (int): rows.
    """
    from mmseg.apis import inference_segmentor
    from mmseg.datasets import build_dataset

    from .adapted_model import init_adapted_segmentor

    dataset = build_dataset(mmcv.Config.fromfile(cfg_path).data.test)
    picks = np.linspace(0, len(dataset) - 1, num_images).round().astype(int)
    models = {name: init_adapted_segmentor(cfg, ckpt, device='cpu')
              for name, (cfg, ckpt) in checkpoints.items()}
    rows = []
    for index in picks:
        info = dataset.img_infos[index]
        image = mmcv.imread(osp.join(dataset.img_dir, info['filename']))
        gt = dataset.get_gt_seg_map_by_idx(index)
        cells = [image, _colorize(gt, dataset.PALETTE)]
        cells += [_colorize(inference_segmentor(model, image)[0], dataset.PALETTE)
                  for model in models.values()]
        rows.append(np.concatenate(cells, axis=1))
    grid = np.concatenate(rows, axis=0)
    header = np.full((24, grid.shape[1], 3), 255, np.uint8)
    width = image.shape[1]
    for col, title in enumerate(['image', 'ground truth', *models]):
        cv2.putText(header, title, (col * width + 8, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                    (0, 0, 0), 1, cv2.LINE_AA)
    mmcv.imwrite(np.concatenate([header, grid], axis=0), out_path)


def format_summary(summary):
    lines = [
        'Uni-UVPT toy demo (toy target val, mIoU over 19 classes)',
        f"  source-only mIoU   {summary['source_only_miou']:6.2f}",
        f"  Uni-UVPT mIoU      {summary['uvpt_miou']:6.2f}",
        f"  difference         {summary['miou_gain']:+6.2f}",
        f"  trainable / total  {summary['trainable_params']:,} / "
        f"{summary['total_params']:,} parameters",
        '  seconds per stage  ' + ', '.join(f'{k} {v:.0f}'
                                           for k, v in summary['seconds'].items()),
        f"  four stages        {summary['four_stage_seconds']:.0f} s",
    ]
    return '\n'.join(lines)


def _finished_source(work_dir):
    """``(checkpoint, test summary)`` of a source model that ``work_dir`` already
    holds (its last checkpoint and its test's JSON), else None."""
    checkpoint = osp.join(work_dir, 'pretrain', 'latest.pth')
    tests = sorted(glob.glob(osp.join(work_dir, 'test_source', 'eval_*.json')))
    if not (osp.isfile(checkpoint) and tests):
        return None
    with open(tests[-1]) as f:
        return checkpoint, json.load(f)


def prepare_toy_source(work_dir, seed=0, timer=None, reuse=False):
    """The toy benchmark's first stages: data (generated once, seed 0, in
    ``data/toy``, which the toy configs read), a pretrained source model, its
    pseudo-labels and its test on the target val split.

    Args:
        work_dir (str): where the stages write (``pretrain/``, ``pseudo_labels/``,
            ``test_source/``).
        seed (int): seed of the pretraining.
        timer (StageTimer, optional): times the stages.
        reuse (bool): read back a source model ``work_dir`` already holds (its
            ``pretrain/latest.pth`` and test JSON) instead of training it again;
            the pseudo-labelling skips the images already labelled.

    Returns:
        dict: ``source_checkpoint``, ``pseudo_label_dir`` and ``test`` (the test
        stage's summary).
    """
    from ..apis.pseudo_label import generate_pseudo_labels
    from ..apis.stages import pretrain_main
    from ..apis.testing import evaluate_main
    from ..toy_benchmark import generate_toy_data

    timer = timer or StageTimer()
    # the toy configs read data/toy; the generator leaves a complete set alone
    timer.run('data', generate_toy_data, out='data/toy', seed=0, convert=True)
    finished = _finished_source(work_dir) if reuse else None
    if finished is None:
        pretrain = timer.run('pretrain', pretrain_main, [
            TOY_CONFIGS['pretrain'], '--work-dir', osp.join(work_dir, 'pretrain'),
            '--seed', str(seed), '--deterministic'])
        source_ckpt = pretrain['last_checkpoint']
    else:
        source_ckpt = finished[0]

    pl_dir = osp.join(work_dir, 'pseudo_labels')
    pl_cfg = mmcv.Config.fromfile(TOY_CONFIGS['pseudo_label'])
    timer.run('pseudo_label', generate_pseudo_labels, pl_cfg, source_ckpt, pl_dir)

    if finished is None:
        source_test = timer.run('test_source', evaluate_main, [
            TOY_CONFIGS['test_source'], source_ckpt, '--eval', 'mIoU',
            '--work-dir', osp.join(work_dir, 'test_source')])
    else:
        source_test = finished[1]
    return dict(source_checkpoint=source_ckpt, pseudo_label_dir=pl_dir,
                test=source_test)


def run_toy_demo(work_dir='work_dirs/toy_demo', seed=0, fresh=False, train_options=()):
    """Run the whole pipeline and return the summary dict (also written to disk).

    Args:
        work_dir (str): where every stage writes (sub-folders per stage).
        seed (int): seed of every training stage (the toy data is generated with
            seed 0 whatever ``seed`` is, and once for every run).
        fresh (bool): delete ``work_dir`` first.
        train_options (tuple[str]): extra ``KEY=VALUE`` config options of the
            adaptation stage, e.g. ``('model.amp_dtype=bfloat16',)``.
    """
    from mmseg.models import build_segmentor

    from ..apis.stages import train_main
    from ..apis.testing import evaluate_main
    from ..utils.param_report import param_table

    if fresh and osp.isdir(work_dir):
        shutil.rmtree(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    timer = StageTimer()
    common = ['--seed', str(seed), '--deterministic']
    source = prepare_toy_source(work_dir, seed, timer)
    source_ckpt, pl_dir, source_test = (source['source_checkpoint'],
                                        source['pseudo_label_dir'], source['test'])
    adapt = timer.run('adapt', train_main, [
        TOY_CONFIGS['uvpt'], '--work-dir', osp.join(work_dir, 'uvpt'),
        '--source-checkpoint', source_ckpt, *common,
        '--cfg-options', f'data.train.pseudo_label_dir={pl_dir}', *train_options])
    adapted_ckpt = adapt['last_checkpoint']
    uvpt_test = timer.run('test_uvpt', evaluate_main, [
        TOY_CONFIGS['uvpt'], adapted_ckpt, '--eval', 'mIoU',
        '--work-dir', osp.join(work_dir, 'test_uvpt'),
        *(['--cfg-options', *train_options] if train_options else [])])

    grid = osp.join(work_dir, 'grid.png')
    write_grid(TOY_CONFIGS['test_source'], {
        'source-only': (TOY_CONFIGS['test_source'], source_ckpt),
        'Uni-UVPT': (TOY_CONFIGS['uvpt'], adapted_ckpt)}, grid)

    uvpt_cfg = mmcv.Config.fromfile(TOY_CONFIGS['uvpt'])
    rows, _ = param_table(build_segmentor(uvpt_cfg.model))
    total = rows[-1]
    stages = ('pretrain', 'pseudo_label', 'adapt', 'test_source', 'test_uvpt')
    summary = dict(
        source_only_miou=round(_miou(source_test), 2),
        uvpt_miou=round(_miou(uvpt_test), 2),
        trainable_params=int(total['trainable']),
        total_params=int(total['total']),
        seconds=timer.seconds,
        four_stage_seconds=round(sum(timer.seconds[s] for s in stages), 1),
        source_checkpoint=source_ckpt, adapted_checkpoint=adapted_ckpt, grid=grid,
        source_only_metrics=source_test['metrics'], uvpt_metrics=uvpt_test['metrics'])
    summary['miou_gain'] = round(summary['uvpt_miou'] - summary['source_only_miou'], 2)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    text = format_summary(summary)
    with open(osp.join(work_dir, 'summary.txt'), 'w') as f:
        f.write(text + '\n')
    print('\n' + text, flush=True)
    return summary


#: the figures of a toy demo summary that :func:`run_toy_demo_seeds` averages
SEED_FIGURES = (('source-only mIoU', 'source_only_miou'),
                ('Uni-UVPT mIoU', 'uvpt_miou'), ('difference', 'miou_gain'))


def seeds_summary(summaries):
    """Mean, sample standard deviation (ddof=1; None for one seed) and the per-seed
    values of each of ``SEED_FIGURES`` over ``summaries`` (seed -> summary)."""
    out = dict(seeds=list(summaries), n=len(summaries))
    for _, key in SEED_FIGURES:
        values = [summaries[seed][key] for seed in summaries]
        out[key] = dict(
            mean=round(statistics.fmean(values), 2),
            std=round(statistics.stdev(values), 2) if len(values) > 1 else None,
            per_seed=dict(zip(map(str, summaries), values)))
    out['seeds_beating_source'] = [seed for seed, s in summaries.items()
                                   if s['uvpt_miou'] > s['source_only_miou']]
    return out


def format_seeds_summary(combined):
    seeds = combined['seeds']
    lines = [f'Uni-UVPT toy demo over {combined["n"]} seeds '
             f'({", ".join(map(str, seeds))}): toy target val, mIoU over 19 classes, '
             'mean ± sample std (ddof=1)']
    for title, key in SEED_FIGURES:
        figure = combined[key]
        std = '—' if figure['std'] is None else f'{figure["std"]:.2f}'
        sign = '+' if key == 'miou_gain' else ''
        per_seed = ', '.join(f'{v:{sign}.2f}' for v in figure['per_seed'].values())
        lines.append(f'  {title:18} {figure["mean"]:{sign}6.2f} ± {std}   '
                     f'(per seed: {per_seed})')
    lines.append(f'  {"beat the source":18} {len(combined["seeds_beating_source"])} of '
                 f'{combined["n"]} seeds')
    return '\n'.join(lines)


def run_toy_demo_seeds(work_dir, seeds, fresh=False, train_options=()):
    """:func:`run_toy_demo` once per seed, seed N in ``<work_dir>/seed{N}``, then the
    combined summary (:func:`seeds_summary`), written to ``summary_seeds.json`` and
    ``summary_seeds.txt`` in ``work_dir`` and returned."""
    summaries = {}
    for seed in seeds:
        summaries[seed] = run_toy_demo(osp.join(work_dir, f'seed{seed}'), seed=seed,
                                       fresh=fresh, train_options=train_options)
    combined = seeds_summary(summaries)
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, 'summary_seeds.json'), 'w') as f:
        json.dump(combined, f, indent=2)
    text = format_seeds_summary(combined)
    with open(osp.join(work_dir, 'summary_seeds.txt'), 'w') as f:
        f.write(text + '\n')
    print('\n' + text, flush=True)
    return combined
