"""The ablation and baseline sweep on the toy benchmark (``tools/ablation.py``).

One source model (seed 0) and its pseudo-labels are shared by every run, as the
launchers' ``--seeds`` do: seeds vary the adaptation only. Each variant of
``configs/variants/`` (``docs/variants.md``) and Uni-UVPT itself
(``configs/toy/uvpt_mit-tiny.py``) adapts once per seed with the same schedule and
is tested on the toy target val split. The table gives per variant its trainable
parameters, the mIoU as mean ± sample standard deviation over the seeds (ddof=1; —
for one seed) and the gain of that mean over the source model. A finished run (its
test JSON) is not run again, so an interrupted sweep goes on where it stopped; a run
is known by its work dir, so a sweep with another schedule needs another work dir.

The schedule can be shortened for every variant alike (``iters``): the runs then
stop early, and the correction, which starts after one epoch (120 iterations), only
acts if ``iters`` passes it.
"""
import glob
import json
import os
import os.path as osp
import statistics
import time

import mmcv

from .toy_demo_run import TOY_CONFIGS, StageTimer, prepare_toy_source

#: the toy adaptation config that every variant of the sweep derives from
BASE_VARIANT = 'uni-uvpt'
VARIANT_GLOB = 'configs/variants/*/uvpt_mit-tiny_*.py'
#: the table's order: the paper's ablations, then the baselines; other variants
#: follow by name
TABLE_ORDER = ('no-correction', 'no-pred-consistency', 'no-prompt-consistency',
               'single-scale', 'no-prompt-adapter', 'head-only', 'full-finetune',
               'bitfit', 'lora')


def toy_variants(pattern=VARIANT_GLOB):
    """``{name: (config path, description)}``: Uni-UVPT first, then every variant
    config of the toy run, in :data:`TABLE_ORDER`."""
    found = {}
    for path in sorted(glob.glob(pattern)):
        variant = mmcv.Config.fromfile(path, import_custom_modules=False).get('variant')
        if not variant or 'name' not in variant:
            raise ValueError(f'{path} has no variant = dict(name=..., description=...)')
        found[variant['name']] = (path, variant.get('description', ''))
    order = sorted(found, key=lambda name: (TABLE_ORDER.index(name)
                                            if name in TABLE_ORDER else len(TABLE_ORDER),
                                            name))
    return {BASE_VARIANT: (TOY_CONFIGS['uvpt'], 'Uni-UVPT as configured'),
            **{name: found[name] for name in order}}


def _resolved_without_name(config):
    cfg = mmcv.Config.fromfile(config, import_custom_modules=False)._cfg_dict.to_dict()
    cfg.pop('variant', None)
    return json.dumps(cfg, sort_keys=True, default=repr)


def aliases(chosen):
    """``{variant: earlier variant}`` for variants whose config resolves to another's
    but for its name (``head-only`` is ``no-prompt-adapter``): run once, listed twice."""
    seen, same = {}, {}
    for name, (config, _) in chosen.items():
        key = _resolved_without_name(config)
        if key in seen:
            same[name] = seen[key]
        else:
            seen[key] = name
    return same


def select_variants(available, names=None):
    """The variants named (all when ``names`` is empty), in the order given."""
    if not names:
        return dict(available)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise KeyError(f'unknown variant(s) {unknown}; available: {list(available)}')
    return {name: available[name] for name in names}


def schedule_options(iters):
    """``--cfg-options`` that stop every variant after ``iters`` iterations, with
    its checkpoint and evaluation there."""
    if iters is None:
        return []
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    return [f'runner.max_iters={iters}', f'checkpoint_config.interval={iters}',
            f'evaluation.interval={iters}']


def mean_std(values):
    """(mean, sample std or None for one value), in the values' unit."""
    values = list(values)
    if not values:
        raise ValueError('no values to average')
    return (statistics.fmean(values),
            statistics.stdev(values) if len(values) > 1 else None)


def summarise(runs, source_miou, params):
    """One row per variant from ``runs`` (variant -> {seed: mIoU in %}).

    Args:
        runs (dict): per variant, the mIoU of each seed.
        source_miou (float): the source model's mIoU (%).
        params (dict): per variant, ``dict(trainable=..., total=...)``.

    Returns:
        list[dict]: ``variant``, ``trainable``, ``total``, ``n``, ``seeds``,
        ``miou_mean``, ``miou_std`` (None for one seed), ``gain`` (mean minus the
        source model's) and ``per_seed``.
    """
    rows = []
    for variant, per_seed in runs.items():
        mean, std = mean_std(per_seed.values())
        rows.append(dict(variant=variant, trainable=params[variant]['trainable'],
                         total=params[variant]['total'], n=len(per_seed),
                         seeds=sorted(per_seed), miou_mean=round(mean, 2),
                         miou_std=None if std is None else round(std, 2),
                         gain=round(mean - source_miou, 2),
                         per_seed={str(k): v for k, v in sorted(per_seed.items())}))
    return rows


def format_markdown(rows, source_miou, descriptions=None, note=''):
    """The sweep's table as Markdown."""
    descriptions = descriptions or {}
    lines = ['| variant | what changes | trainable params | mIoU (mean ± std, n) | '
             'gain over source-only |', '|---|---|---|---|---|']
    for row in rows:
        std = '—' if row['miou_std'] is None else f"{row['miou_std']:.2f}"
        lines.append(f"| {row['variant']} | {descriptions.get(row['variant'], '')} | "
                     f"{row['trainable']:,} | {row['miou_mean']:.2f} ± {std} "
                     f"(n={row['n']}) | {row['gain']:+.2f} |")
    lines.append(f'\nsource-only (the shared source model): {source_miou:.2f} mIoU')
    if note:
        lines.append(note)
    return '\n'.join(lines) + '\n'


def _params_of(config):
    from mmseg.models import build_segmentor

    from ..utils.param_report import param_table
    rows, _ = param_table(build_segmentor(mmcv.Config.fromfile(config).model))
    return dict(trainable=int(rows[-1]['trainable']), total=int(rows[-1]['total']))


def _run_once(config, work_dir, seed, source, options):
    """Adapt and test one variant with one seed; the test's mIoU (%). A finished
    run (``test/result.json``) is read back instead."""
    from ..apis.stages import train_main
    from ..apis.testing import evaluate_main

    result = osp.join(work_dir, 'test', 'result.json')
    if osp.isfile(result):
        with open(result) as f:
            return json.load(f)['mIoU']
    train = train_main([
        config, '--work-dir', work_dir, '--source-checkpoint', source['source_checkpoint'],
        '--seed', str(seed), '--deterministic', '--cfg-options',
        f"data.train.pseudo_label_dir={source['pseudo_label_dir']}", *options])
    test = evaluate_main([config, train['last_checkpoint'], '--eval', 'mIoU',
                          '--work-dir', osp.join(work_dir, 'test')])
    miou = round(100.0 * test['metrics']['mIoU'], 2)
    mmcv.dump(dict(mIoU=miou, checkpoint=train['last_checkpoint'], seed=seed,
                   checkpoint_bytes=os.path.getsize(train['last_checkpoint'])),
              result)
    return miou


def run_sweep(work_dir='work_dirs/ablation', seeds=(0, 1, 2), variants=None, iters=None):
    """Run the sweep; writes ``ablation.md`` and ``ablation.json`` into ``work_dir``
    and returns the JSON's content.

    Args:
        work_dir (str): where everything is written (``source/``, ``<variant>/seed{N}``).
        seeds (Sequence[int]): adaptation seeds.
        variants (Sequence[str], optional): names from :func:`toy_variants`; all
            when empty.
        iters (int, optional): iterations of every adaptation run; the configs'
            own schedule (200) when None.
    """
    start = time.perf_counter()
    chosen = select_variants(toy_variants(), variants)
    options = schedule_options(iters)
    source = prepare_toy_source(osp.join(work_dir, 'source'), seed=0, timer=StageTimer())
    source_miou = round(100.0 * source['test']['metrics']['mIoU'], 2)
    runs, params = {}, {}
    same = aliases(chosen)
    for name, (config, _) in chosen.items():
        if name in same:  # the same run as an earlier variant
            runs[name], params[name] = runs[same[name]], params[same[name]]
            continue
        params[name] = _params_of(config)
        runs[name] = {seed: _run_once(config, osp.join(work_dir, name, f'seed{seed}'),
                                      seed, source, options) for seed in seeds}
    rows = summarise(runs, source_miou, params)
    seconds = round(time.perf_counter() - start)
    note = (f'seeds {list(seeds)}; '
            f"{'the configs own schedule' if iters is None else f'{iters} iterations'} "
            f'per run; {seconds} s in all on this machine (finished runs were read back)')
    text = format_markdown(rows, source_miou,
                           {name: description for name, (_, description) in chosen.items()},
                           note)
    summary = dict(source_miou=source_miou, seeds=list(seeds), iters=iters,
                   seconds=seconds, rows=rows)
    mmcv.dump(summary, osp.join(work_dir, 'ablation.json'), indent=1)
    with open(osp.join(work_dir, 'ablation.md'), 'w') as f:
        f.write(text)
    print('\n' + text, flush=True)
    return summary
