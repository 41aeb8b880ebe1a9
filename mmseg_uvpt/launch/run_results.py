"""The paper's table from the JSON files that ``test.py --eval mIoU`` writes.

``test.py`` writes ``eval_<timestamp>.json`` into its work dir, holding the config it
tested, the checkpoint and ``means`` (``mIoU19`` and, for SYNTHIA runs, ``mIoU16`` and
``mIoU13``, in %; ACDC runs on several conditions also ``mIoU_<condition>``). A run
is known by its config's file name (``<backbone>_<source model>_<source>2<target>``):
the runs to Cityscapes (the paper's eight, ``configs/uvpt/<run>.py`` or
``configs/uvpt/release/<run>.py``, and the ViT runs) fill the paper's table, one row
per config folder, source model and backbone; the Cityscapes -> ACDC / Dark Zurich
runs fill a second table, one row per target. Each column gives the best
checkpoint's figure (a ``best_*`` file, as ``launcher_test.py`` tests by default) and
the last one's (any other file, e.g. ``launcher_test.py --checkpoint latest``) side by
side, the paper's value and the best's difference to it. SYNTHIA's mIoU16/mIoU13 are
the plain means over the subsets, with the release's derived figure in brackets
(``release_synthia_means`` in ``mmseg_uvpt/datasets/cityscapes.py``). Any other config
(the toy demo's, for instance) is listed below the table with its means.

**Seeds.** Results of one config and checkpoint kind (best or last) that differ in
their training seed are one group, and the group's figure is the mean over its seeds.
A result's seed is the ``train_seed`` that ``test.py`` records from the checkpoint,
else the innermost ``seed{N}`` folder of the checkpoint's path, else that of the JSON
file's path (``launcher_*.py --seeds`` and ``tools/toy_demo.py --seeds`` write there),
else unknown (such a result counts as one seed of its own). Of two results of the same
seed the newer file wins and the other is named as left out, as without seeds. Where
a table has a group of two or more, every figure of that table reads ``mean ± std
n=N``: the sample standard deviation (ddof=1) over the N seeds, ``—`` for a single
seed, where it is not defined; the difference to the paper is the mean's. Tables with
no such group look as they did without seeds.

    python tools/results_table.py work_dirs/test work_dirs/test_release
    python tools/results_table.py work_dirs/toy_demo
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import statistics
import sys
from pathlib import PurePath

from .paper_runs import PAPER_MIOU
from .run_groups import ACDC_CONDITIONS, parse_run_name

#: the table's columns: (title, source set of the run, key of ``means``)
COLUMNS = (('GTA5→CS mIoU19', 'gta5', 'mIoU19'),
           ('SYN→CS mIoU16', 'synthia', 'mIoU16'),
           ('SYN→CS mIoU13', 'synthia', 'mIoU13'))
SOURCE_MODEL_NAMES = {'standard': 'standard', 'source-gta': 'Source-GtA'}
#: a folder of one seed's run, as ``launcher_*.py --seeds`` names it
SEED_FOLDER = re.compile(r'seed(\d+)$')
BACKBONE_NAMES = {'swin-b': 'Swin-B', 'mit-b5': 'MiT-B5', 'vit-b14': 'ViT-B/14',
                  'vit-l14': 'ViT-L/14'}
#: the adverse-condition table's targets, as run names spell them, and their titles
ADVERSE_TARGETS = {'acdc': 'ACDC', **{f'acdc-{c}': f'ACDC {c}' for c in ACDC_CONDITIONS},
                   'darkzurich': 'Dark Zurich'}


class ResultsError(ValueError):
    """A path or JSON file that is not a test result."""


def find_result_files(paths):
    """``test.py`` JSON outputs: every ``eval_*.json`` under each folder, and each
    path that is a file."""
    files = []
    for path in paths:
        if osp.isfile(path):
            files.append(path)
        elif osp.isdir(path):
            files += sorted(glob.glob(osp.join(path, '**', 'eval_*.json'),
                                      recursive=True))
        else:
            raise ResultsError(f'{path}: no such file or folder')
    return files


def path_seed(path):
    """N of the innermost ``seed{N}`` folder on ``path`` (not its file name), or
    None."""
    if not path:
        return None
    for part in reversed(PurePath(osp.normpath(str(path))).parent.parts):
        match = SEED_FOLDER.fullmatch(part)
        if match:
            return int(match.group(1))
    return None


def result_seed(content, path):
    """The training seed of a result: ``train_seed`` of the JSON, else the
    ``seed{N}`` folder of its checkpoint, else that of the JSON file ``path``."""
    seed = content.get('train_seed')
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ResultsError(f'{path}: train_seed must be an integer, got {seed!r}')
        return seed
    for where in (content.get('checkpoint'), path):
        seed = path_seed(where)
        if seed is not None:
            return seed
    return None


def read_result(path):
    """``dict(config, checkpoint, means, seed, file)`` of one ``test.py`` JSON output
    (``seed`` by :func:`result_seed`, None if unknown)."""
    try:
        with open(path) as f:
            content = json.load(f)
    except (OSError, ValueError) as err:
        raise ResultsError(f'{path}: not a readable JSON file ({err})') from None
    if not isinstance(content, dict) or not isinstance(content.get('means'), dict) \
            or not content.get('config'):
        raise ResultsError(f'{path}: not a test.py result (it needs "config" and '
                           '"means", as test.py --eval mIoU writes)')
    return dict(config=content['config'], checkpoint=content.get('checkpoint'),
                means={k: float(v) for k, v in content['means'].items()},
                seed=result_seed(content, path), file=path)


def checkpoint_kind(checkpoint):
    """``'best'`` for a checkpoint kept by validation mIoU (``best_*``), else ``'last'``."""
    return 'best' if osp.basename(str(checkpoint)).startswith('best_') else 'last'


def latest_per_config(results):
    """One result per config, checkpoint kind and seed (the newest file wins); the
    others are returned too."""
    by_config, superseded = {}, []
    for result in sorted(results, key=lambda r: os.path.getmtime(r['file'])):
        key = (osp.normpath(result['config']), checkpoint_kind(result['checkpoint']),
               result['seed'])
        if key in by_config:
            superseded.append(by_config[key])
        by_config[key] = result
    return list(by_config.values()), superseded


def mean_std(values):
    """``(mean, sample standard deviation (ddof=1), n)`` of ``values``; the
    deviation is None for a single value."""
    values = list(values)
    std = statistics.stdev(values) if len(values) > 1 else None
    return statistics.fmean(values), std, len(values)


def group_seeds(results):
    """The results of one config and checkpoint kind over their seeds, as
    ``dict(config, kind, results, seeds, stats)``: ``results`` sorted by seed (an
    unknown seed first), ``stats`` each ``means`` key's :func:`mean_std` over the
    results that have it. Pass one result per seed (:func:`latest_per_config`)."""
    groups = {}
    for result in results:
        key = (osp.normpath(result['config']), checkpoint_kind(result['checkpoint']))
        groups.setdefault(key, []).append(result)
    out = []
    for (_, kind), members in groups.items():
        members.sort(key=lambda r: (r['seed'] is not None, r['seed'] or 0))
        keys = dict.fromkeys(k for r in members for k in r['means'])
        stats = {k: mean_std(r['means'][k] for r in members if k in r['means'])
                 for k in keys}
        out.append(dict(config=members[0]['config'], kind=kind, results=members,
                        seeds=[r['seed'] for r in members], stats=stats))
    return out


def _seeded(groups):
    """Whether any group averages more than one result."""
    return any(len(g['results']) > 1 for g in groups)


def split_run(config):
    """``(folder, source model, backbone, source set, target)`` of a config named as
    a launcher run (``<backbone>_<source model>_<source>2<target>``, any group of
    :mod:`mmseg_uvpt.launch.run_groups`), or None for any other config."""
    name = osp.splitext(osp.basename(config))[0]
    try:
        parts = parse_run_name(name)
    except ValueError:
        return None
    if parts['target'] is None or parts['backbone'] not in BACKBONE_NAMES \
            or parts['source_model'] not in SOURCE_MODEL_NAMES:
        return None
    return (osp.dirname(osp.normpath(config)), parts['source_model'], parts['backbone'],
            parts['source'], parts['target'])


def _figure(stats, key, seeded=False):
    """The mean of ``key`` as text, with the release's derived figure in brackets;
    ``seeded``: with ``± std`` (``—`` for one seed) and ``n=N`` around them."""
    if stats is None or key not in stats:
        return '—'
    mean, std, n = stats[key]
    release = stats.get(f'{key}_release')
    return _mean_text(mean, std, seeded) \
        + ('' if release is None else f' ({release[0]:.2f})') \
        + (f' n={n}' if seeded else '')


def _mean_text(mean, std, seeded):
    """``mean``, and with ``seeded`` `` ± std`` (``—`` where undefined)."""
    if not seeded:
        return f'{mean:.2f}'
    return f'{mean:.2f} ± ' + ('—' if std is None else f'{std:.2f}')


def _cells(best, last, key, paper, seeded=False):
    """best, last, paper and best - paper for one column (— for a run the paper
    does not have)."""
    if paper is None:
        return [_figure(best, key, seeded), _figure(last, key, seeded), '—', '—']
    delta = '—' if best is None or key not in best else f'{best[key][0] - paper:+.2f}'
    return [_figure(best, key, seeded), _figure(last, key, seeded), f'{paper:.1f}',
            delta]


def paper_table(groups):
    """Markdown table of the runs to Cityscapes among ``groups``
    (:func:`group_seeds`): the paper's, with its values, and others such as the ViT
    runs; None if there are none."""
    rows, seeded = {}, False
    for group in groups:
        parts = split_run(group['config'])
        if parts is None or parts[4] != 'cityscapes':
            continue
        folder, source_model, backbone, dataset, _ = parts
        row = rows.setdefault((folder, source_model, backbone), {})
        row[(dataset, group['kind'])] = group['stats']
        seeded = seeded or len(group['results']) > 1
    if not rows:
        return None
    header = ['configs', 'source model', 'backbone']
    for title, _, _ in COLUMNS:
        header += [f'{title} best', 'last', 'paper', 'Δ best']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    order = [(m, b) for m in SOURCE_MODEL_NAMES for b in BACKBONE_NAMES]
    for folder, source_model, backbone in sorted(
            rows, key=lambda k: (k[0], order.index(k[1:]))):
        values = rows[(folder, source_model, backbone)]
        cells = [folder, SOURCE_MODEL_NAMES[source_model], BACKBONE_NAMES[backbone]]
        for _, dataset, key in COLUMNS:
            paper = PAPER_MIOU.get(f'{backbone}_{source_model}_{dataset}2cityscapes')
            cells += _cells(values.get((dataset, 'best')), values.get((dataset, 'last')),
                            key, None if paper is None else paper[key], seeded)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def adverse_table(groups):
    """Markdown table of the Cityscapes -> ACDC / Dark Zurich runs among ``groups``
    (:func:`group_seeds`): one row per config folder, source model, backbone and
    target; the val mIoU of the best and the last checkpoint, and of a run on
    several ACDC conditions each condition's (best checkpoint). None if there are
    none."""
    rows, seeded = {}, False
    for group in groups:
        parts = split_run(group['config'])
        if parts is None or parts[4] not in ADVERSE_TARGETS:
            continue
        folder, source_model, backbone, _, target = parts
        rows.setdefault((folder, source_model, backbone, target), {})[group['kind']] = \
            group['stats']
        seeded = seeded or len(group['results']) > 1
    if not rows:
        return None
    conditions = [f'mIoU_{c}' for c in ACDC_CONDITIONS]
    header = ['configs', 'source model', 'backbone', 'target', 'val mIoU19 best', 'last'] \
        + [f'{c} (best)' for c in ACDC_CONDITIONS]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    order = [(m, b, t) for m in SOURCE_MODEL_NAMES for b in BACKBONE_NAMES
             for t in ADVERSE_TARGETS]
    for key in sorted(rows, key=lambda k: (k[0], order.index(k[1:]))):
        folder, source_model, backbone, target = key
        best, last = rows[key].get('best'), rows[key].get('last')
        cells = [folder, SOURCE_MODEL_NAMES[source_model], BACKBONE_NAMES[backbone],
                 ADVERSE_TARGETS[target], _figure(best, 'mIoU19', seeded),
                 _figure(last, 'mIoU19', seeded)]
        cells += [_figure(best, c, seeded) for c in conditions]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


TABLE_NOTES = (
    'best: the checkpoint kept by validation mIoU; last: the run\'s last checkpoint. '
    'Cityscapes val is both the split the best checkpoint is selected on and the '
    'split reported (as in the release and the paper), so "best" is an optimistic '
    'figure; "last" involves no selection.\n'
    'SYNTHIA: mIoU16/mIoU13 are the plain means over the 16/13 classes; in brackets '
    'the release\'s figures, 19·mIoU19/16 and (19·mIoU19 − wall − fence − pole)/13, '
    'into which any IoU of terrain, truck or train leaks.')


SEED_NOTES = (
    'mean ± std n=N: the mean and the sample standard deviation (ddof=1) over N '
    'training seeds, — for N=1')


def _checkpoints(group):
    """The group's checkpoint: the one path, else the paths with ``seed{N}`` folders
    as ``seed*`` if that makes them one, else how many there are."""
    paths = {str(r['checkpoint']) for r in group['results']}
    if len(paths) == 1:
        return paths.pop()
    patterns = {re.sub(r'(^|[/\\])seed\d+(?=[/\\])', r'\1seed*', p) for p in paths}
    return patterns.pop() if len(patterns) == 1 else \
        f'{len(paths)} {group["kind"]} checkpoints'


def other_table(groups):
    """Markdown list of the groups (:func:`group_seeds`) of configs that are not
    paper runs; with a column of seeds where a group has several."""
    others = [g for g in groups if split_run(g['config']) is None]
    if not others:
        return None
    seeded = _seeded(others)
    keys = sorted({k for g in others for k in g['stats']},
                  key=lambda k: (-len(k), k), reverse=True)
    head = ['config', 'checkpoint'] + (['seeds'] if seeded else []) + keys
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for g in sorted(others, key=lambda g: (g['config'], g['kind'])):
        cells = [g['config'], _checkpoints(g)]
        if seeded:
            cells.append(', '.join('?' if s is None else str(s) for s in g['seeds']))
        for k in keys:
            if k not in g['stats']:
                cells.append('—')
                continue
            mean, std, n = g['stats'][k]
            cells.append(_mean_text(mean, std, seeded) + (f' n={n}' if seeded else ''))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def results_report(paths):
    """The whole report for ``paths`` (folders or JSON files), as text."""
    files = find_result_files(paths)
    if not files:
        raise ResultsError(f'no eval_*.json (test.py --eval mIoU output) under '
                           f'{", ".join(paths)}')
    results, superseded = latest_per_config([read_result(f) for f in files])
    groups = group_seeds(results)
    parts = []
    table = paper_table(groups)
    if table:
        notes = TABLE_NOTES
        if _seeded([g for g in groups if split_run(g['config']) is not None]):
            notes += '\n' + SEED_NOTES + '; Δ best is the mean\'s.'
        parts.append('Cityscapes val mIoU (%): this project, the paper, difference\n\n'
                     + table + '\n\n' + notes)
    table = adverse_table(groups)
    if table:
        parts.append('ACDC / Dark Zurich val mIoU (%), Cityscapes as the source '
                     '(not runs of the paper)\n\n' + table
                     + ('\n\n' + SEED_NOTES + '.' if _seeded(groups) else ''))
    others = other_table(groups)
    if others:
        seeded = _seeded([g for g in groups if split_run(g['config']) is None])
        parts.append('Other configs (mIoU, %)\n\n' + others
                     + ('\n\n' + SEED_NOTES + '.' if seeded else ''))
    if superseded:
        parts.append('Older results of the same configs, left out: '
                     + ', '.join(r['file'] for r in superseded))
    return '\n\n'.join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Collect test.py JSON outputs into the paper's table (GTA5→CS "
                    'mIoU19, SYNTHIA→CS mIoU16/mIoU13 per backbone and source model, '
                    "with the paper's values and the differences; the ViT runs as "
                    'rows of their own) and the Cityscapes→ACDC / Dark Zurich table '
                    '(val mIoU, ACDC per condition); runs of several training seeds '
                    'as mean ± sample std and n.')
    parser.add_argument('paths', nargs='+', metavar='WORK_DIR',
                        help='work dirs searched for eval_*.json, or JSON files')
    args = parser.parse_args(argv)
    try:
        print(results_report(args.paths))
    except ResultsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0
