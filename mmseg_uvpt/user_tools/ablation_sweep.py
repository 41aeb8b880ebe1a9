"""The ablation and baseline sweep on the toy benchmark (``tools/ablation.py``).

One source model (seed 0) and its pseudo-labels are shared by every run, as the
launchers' ``--seeds`` do: seeds vary the adaptation only. Each variant of
``configs/variants/`` (``docs/variants.md``) and Uni-UVPT itself
(``configs/toy/uvpt_mit-tiny.py``) adapts once per seed with the same schedule and
is tested on the toy target val split. The table gives per variant its trainable
parameters, the mIoU as mean ± sample standard deviation over the seeds (ddof=1; —
for one seed) and the gain of that mean over the source model. A finished run (its
test JSON) and a finished source model are not run again, so an interrupted sweep
goes on where it stopped, and a later call with other variants (``--extra-configs``)
reuses what the work dir holds; a run is known by its work dir, so a sweep with
another schedule needs another work dir (or the same source folder copied there).

The sweep runs every variant on a time-compressed copy of its config's schedule
(``iters``, default :data:`SWEEP_ITERS`; None for the configs' own 200 iterations):
the cosine LR spans the shorter run, and the correction hook's clock (its epoch, IoU
queue and check interval) is scaled by ``iters / max_iters``, so the correction
starts at the same fraction of the run as in the full schedule (one epoch of 200
iterations: 120) instead of never.
"""
import glob
import json
import os
import os.path as osp
import statistics
import time

import math

import mmcv

from .toy_demo_run import TOY_CONFIGS, StageTimer, prepare_toy_source

#: iterations of each run in the default sweep, calibrated so that three seeds of
#: every variant, with the shared source model, finish within 45 minutes on the
#: 2-core CPU machine (docs/toy_results.md)
SWEEP_ITERS = 40
CORRECTION_HOOK = 'AdaptiveCorrectionHook'
#: the toy adaptation config that every variant of the sweep derives from
BASE_VARIANT = 'uni-uvpt'
VARIANT_GLOB = 'configs/variants/*/uvpt_mit-tiny_*.py'
#: the table's order: the paper's ablations, then the baselines; other variants
#: follow by name
TABLE_ORDER = ('no-correction', 'no-pred-consistency', 'no-prompt-consistency',
               'single-scale', 'no-prompt-adapter', 'head-only', 'full-finetune',
               'bitfit', 'lora')


def _variant_of(path):
    variant = mmcv.Config.fromfile(path, import_custom_modules=False).get('variant')
    if not variant or 'name' not in variant:
        raise ValueError(f'{path} has no variant = dict(name=..., description=...)')
    return variant['name'], (path, variant.get('description', ''))


def toy_variants(pattern=VARIANT_GLOB, extra_configs=()):
    """``{name: (config path, description)}``: Uni-UVPT first, then every variant
    config of the toy run, in :data:`TABLE_ORDER`, then ``extra_configs`` (any
    config holding a ``variant = dict(name=..., description=...)``, e.g. the toy
    settings of ``configs/toy/settings/``) in the order given."""
    found = dict(_variant_of(path) for path in sorted(glob.glob(pattern)))
    order = sorted(found, key=lambda name: (TABLE_ORDER.index(name)
                                            if name in TABLE_ORDER else len(TABLE_ORDER),
                                            name))
    variants = {BASE_VARIANT: (TOY_CONFIGS['uvpt'], 'Uni-UVPT as configured'),
                **{name: found[name] for name in order}}
    for path in extra_configs:
        name, entry = _variant_of(path)
        if name in variants:
            raise ValueError(f'{path}: variant name {name!r} is taken by '
                             f'{variants[name][0]}')
        variants[name] = entry
    return variants


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


def schedule_options(config, iters, epoch_iters):
    """``--cfg-options`` that run ``config`` for ``iters`` iterations as a
    time-compressed copy of its own schedule.

    Args:
        config (mmcv.Config): the resolved variant config.
        iters (int | None): iterations of the run; None keeps the config's schedule.
        epoch_iters (int): iterations of one epoch of its train split (batch 1).

    Returns:
        list[str]: the runner's ``max_iters`` and the checkpoint interval; with a
        correction hook, its ``epoch_iters``, ``queue_size`` and ``interval``
        scaled by ``iters / max_iters`` (at least 1 each).
    """
    if iters is None:
        return []
    if iters < 1:
        raise ValueError(f'iters must be >= 1, got {iters}')
    options = [f'runner.max_iters={iters}', f'checkpoint_config.interval={iters}']
    scale = iters / config.runner.max_iters
    for index, hook in enumerate(config.get('custom_hooks', [])):
        if hook['type'] != CORRECTION_HOOK:
            continue
        epoch = hook.get('epoch_iters') or epoch_iters
        for key, value in (('epoch_iters', epoch), ('queue_size', hook['queue_size']),
                           ('interval', hook.get('interval', 1))):
            options.append(f'custom_hooks.{index}.{key}={max(1, round(value * scale))}')
    return options


def epoch_length(config, pseudo_label_dir):
    """Iterations of one epoch of ``config``'s train split on one process."""
    from mmseg.datasets import build_dataset
    train = dict(config.data.train, pseudo_label_dir=pseudo_label_dir)
    return math.ceil(len(build_dataset(train)) / config.data.samples_per_gpu)


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
        params (dict): per variant, ``dict(trainable=..., total=...)`` and
            optionally ``checkpoint_bytes`` (the size of a run's last checkpoint).

    Returns:
        list[dict]: ``variant``, ``trainable``, ``total``, ``checkpoint_bytes``
            (None if unknown), ``n``, ``seeds``,
        ``miou_mean``, ``miou_std`` (None for one seed), ``gain`` (mean minus the
        source model's) and ``per_seed``.
    """
    rows = []
    for variant, per_seed in runs.items():
        mean, std = mean_std(per_seed.values())
        rows.append(dict(variant=variant, trainable=params[variant]['trainable'],
                         total=params[variant]['total'],
                         checkpoint_bytes=params[variant].get('checkpoint_bytes'),
                         n=len(per_seed),
                         seeds=sorted(per_seed), miou_mean=round(mean, 2),
                         miou_std=None if std is None else round(std, 2),
                         gain=round(mean - source_miou, 2),
                         per_seed={str(k): v for k, v in sorted(per_seed.items())}))
    return rows


def format_markdown(rows, source_miou, descriptions=None, note=''):
    """The sweep's table as Markdown."""
    descriptions = descriptions or {}
    lines = ['| variant | what changes | trainable params | checkpoint (MiB) | '
             'mIoU (mean ± std, n) | gain over source-only |', '|---|---|---|---|---|---|']
    for row in rows:
        std = '—' if row['miou_std'] is None else f"{row['miou_std']:.2f}"
        size = row.get('checkpoint_bytes')
        size = '—' if size is None else f'{size / 2**20:.1f}'
        lines.append(f"| {row['variant']} | {descriptions.get(row['variant'], '')} | "
                     f"{row['trainable']:,} | {size} | {row['miou_mean']:.2f} ± {std} "
                     f"(n={row['n']}) | {row['gain']:+.2f} |")
    lines.append(f'\nsource-only (the shared source model): {source_miou:.2f} mIoU')
    if note:
        lines.append(note)
    return '\n'.join(lines) + '\n'


def _params_of(cfg):
    from mmseg.models import build_segmentor

    from ..utils.param_report import param_table
    rows, _ = param_table(build_segmentor(cfg.model))
    return dict(trainable=int(rows[-1]['trainable']), total=int(rows[-1]['total']))


def _checkpoint_bytes(run_dir):
    """The size of the last checkpoint a finished run recorded, or None."""
    result = osp.join(run_dir, 'test', 'result.json')
    if not osp.isfile(result):
        return None
    with open(result) as f:
        return json.load(f).get('checkpoint_bytes')


def _run_once(config, work_dir, seed, source, options):
    """Adapt and test one variant with one seed; the test's mIoU (%). A finished
    run (``test/result.json``) with the same options is read back instead; one with
    other options is refused, naming its file. The run trains without validation:
    its last checkpoint is tested once."""
    from ..apis.stages import train_main
    from ..apis.testing import evaluate_main

    result = osp.join(work_dir, 'test', 'result.json')
    if osp.isfile(result):
        with open(result) as f:
            done = json.load(f)
        if done.get('options') != list(options):
            raise ValueError(
                f'{result} was run with options {done.get("options")}, this sweep '
                f'asks for {list(options)}: give the sweep another work dir')
        return done['mIoU']
    train = train_main([
        config, '--work-dir', work_dir, '--source-checkpoint', source['source_checkpoint'],
        '--seed', str(seed), '--deterministic', '--no-validate', '--cfg-options',
        f"data.train.pseudo_label_dir={source['pseudo_label_dir']}", *options])
    test = evaluate_main([config, train['last_checkpoint'], '--eval', 'mIoU',
                          '--work-dir', osp.join(work_dir, 'test')])
    miou = round(100.0 * test['metrics']['mIoU'], 2)
    mmcv.dump(dict(mIoU=miou, checkpoint=train['last_checkpoint'], seed=seed,
                   checkpoint_bytes=os.path.getsize(train['last_checkpoint']),
                   options=list(options)), result)
    return miou


def run_sweep(work_dir='work_dirs/ablation', seeds=(0, 1, 2), variants=None,
              iters=SWEEP_ITERS, extra_configs=()):
    """Run the sweep; writes ``ablation.md`` and ``ablation.json`` into ``work_dir``
    and returns the JSON's content.

    Args:
        work_dir (str): where everything is written (``source/``, ``<variant>/seed{N}``).
        seeds (Sequence[int]): adaptation seeds.
        variants (Sequence[str], optional): names from :func:`toy_variants`; all
            when empty.
        iters (int, optional): iterations of every adaptation run, a compressed
            copy of the configs' schedule (:func:`schedule_options`); the configs'
            own schedule (200) when None.
        extra_configs (Sequence[str]): further variant configs, run after the
            chosen ones (:func:`toy_variants`).
    """
    start = time.perf_counter()
    available = toy_variants(extra_configs=extra_configs)
    chosen = select_variants(available, variants)
    chosen.update({name: available[name] for name in available
                   if available[name][0] in extra_configs})
    source = prepare_toy_source(osp.join(work_dir, 'source'), seed=0, timer=StageTimer(),
                                reuse=True)
    epoch_iters = None
    source_miou = round(100.0 * source['test']['metrics']['mIoU'], 2)
    runs, params = {}, {}
    same = aliases(chosen)
    for name, (config, _) in chosen.items():
        if name in same:  # the same run as an earlier variant
            runs[name], params[name] = runs[same[name]], params[same[name]]
            continue
        cfg = mmcv.Config.fromfile(config)
        if iters is not None and epoch_iters is None:
            epoch_iters = epoch_length(cfg, source['pseudo_label_dir'])
        options = schedule_options(cfg, iters, epoch_iters)
        params[name] = _params_of(cfg)
        runs[name] = {seed: _run_once(config, osp.join(work_dir, name, f'seed{seed}'),
                                      seed, source, options) for seed in seeds}
        # the checkpoints of one variant are alike: the first seed's size stands
        params[name]['checkpoint_bytes'] = _checkpoint_bytes(
            osp.join(work_dir, name, f'seed{seeds[0]}'))
    rows = summarise(runs, source_miou, params)
    seconds = round(time.perf_counter() - start)
    schedule = ("the configs' own schedule" if iters is None else
                f"{iters} iterations, the configs' schedule compressed")
    note = (f'seeds {list(seeds)}; {schedule} per run; {seconds} s in all on this machine (finished runs were read back)')
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
