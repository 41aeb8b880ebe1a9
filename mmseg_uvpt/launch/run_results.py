"""The paper's table from the JSON files that ``test.py --eval mIoU`` writes.

``test.py`` writes ``eval_<timestamp>.json`` into its work dir, holding the config it
tested, the checkpoint and ``means`` (``mIoU19`` and, for SYNTHIA runs, ``mIoU16`` and
``mIoU13``, in %). A run is known by its config's file name: the paper's eight runs
(``configs/uvpt/<run>.py`` or ``configs/uvpt/release/<run>.py``) fill the table, one
row per config folder, source model and backbone. Each column gives the best
checkpoint's figure (a ``best_*`` file, as ``launcher_test.py`` tests by default) and
the last one's (any other file, e.g. ``launcher_test.py --checkpoint latest``) side by
side, the paper's value and the best's difference to it. SYNTHIA's mIoU16/mIoU13 are
the plain means over the subsets, with the release's derived figure in brackets
(``release_synthia_means`` in ``mmseg_uvpt/datasets/cityscapes.py``). Any other config
(the toy demo's, for instance) is listed below the table with its means.

    python tools/results_table.py work_dirs/test work_dirs/test_release
    python tools/results_table.py work_dirs/toy_demo
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

from .paper_runs import PAPER_MIOU, TARGET_SUFFIX

#: the table's columns: (title, source set of the run, key of ``means``)
COLUMNS = (('GTA5→CS mIoU19', 'gta5', 'mIoU19'),
           ('SYN→CS mIoU16', 'synthia', 'mIoU16'),
           ('SYN→CS mIoU13', 'synthia', 'mIoU13'))
SOURCE_MODEL_NAMES = {'standard': 'standard', 'source-gta': 'Source-GtA'}
BACKBONE_NAMES = {'swin-b': 'Swin-B', 'mit-b5': 'MiT-B5'}


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


def read_result(path):
    """``dict(config, checkpoint, means)`` of one ``test.py`` JSON output."""
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
                means={k: float(v) for k, v in content['means'].items()}, file=path)


def checkpoint_kind(checkpoint):
    """``'best'`` for a checkpoint kept by validation mIoU (``best_*``), else ``'last'``."""
    return 'best' if osp.basename(str(checkpoint)).startswith('best_') else 'last'


def latest_per_config(results):
    """One result per config and checkpoint kind (the newest file wins); the others
    are returned too."""
    by_config, superseded = {}, []
    for result in sorted(results, key=lambda r: os.path.getmtime(r['file'])):
        key = (osp.normpath(result['config']), checkpoint_kind(result['checkpoint']))
        if key in by_config:
            superseded.append(by_config[key])
        by_config[key] = result
    return list(by_config.values()), superseded


def split_run(config):
    """``(folder, source model, backbone, source set)`` of a paper-run config, or
    None for any other config."""
    name = osp.splitext(osp.basename(config))[0]
    if name not in PAPER_MIOU:
        return None
    backbone, source_model, dataset = name[:-len(TARGET_SUFFIX)].split('_')
    return osp.dirname(osp.normpath(config)), source_model, backbone, dataset


def _figure(means, key):
    """``means[key]`` as text, with the release's derived figure in brackets."""
    if means is None or key not in means:
        return '—'
    release = means.get(f'{key}_release')
    return f'{means[key]:.2f}' + ('' if release is None else f' ({release:.2f})')


def _cells(best, last, key, paper):
    """best, last, paper and best - paper for one column."""
    delta = '—' if best is None or key not in best else f'{best[key] - paper:+.2f}'
    return [_figure(best, key), _figure(last, key), f'{paper:.1f}', delta]


def paper_table(results):
    """Markdown table of the paper runs among ``results`` (None if there are none)."""
    rows = {}
    for result in results:
        parts = split_run(result['config'])
        if parts is None:
            continue
        folder, source_model, backbone, dataset = parts
        row = rows.setdefault((folder, source_model, backbone), {})
        row[(dataset, checkpoint_kind(result['checkpoint']))] = result['means']
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
            run = f'{backbone}_{source_model}_{dataset}{TARGET_SUFFIX}'
            cells += _cells(values.get((dataset, 'best')), values.get((dataset, 'last')),
                            key, PAPER_MIOU[run][key])
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


def other_table(results):
    """Markdown list of the results of configs that are not paper runs."""
    others = [r for r in results if split_run(r['config']) is None]
    if not others:
        return None
    keys = sorted({k for r in others for k in r['means']},
                  key=lambda k: (-len(k), k), reverse=True)
    lines = ['| config | checkpoint | ' + ' | '.join(keys) + ' |',
             '|' + '---|' * (len(keys) + 2)]
    for r in sorted(others, key=lambda r: r['config']):
        cells = [r['config'], str(r['checkpoint'])]
        cells += [f'{r["means"][k]:.2f}' if k in r['means'] else '—' for k in keys]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def results_report(paths):
    """The whole report for ``paths`` (folders or JSON files), as text."""
    files = find_result_files(paths)
    if not files:
        raise ResultsError(f'no eval_*.json (test.py --eval mIoU output) under '
                           f'{", ".join(paths)}')
    results, superseded = latest_per_config([read_result(f) for f in files])
    parts = []
    table = paper_table(results)
    if table:
        parts.append('Cityscapes val mIoU (%): this project, the paper, difference\n\n'
                     + table + '\n\n' + TABLE_NOTES)
    others = other_table(results)
    if others:
        parts.append('Other configs (mIoU, %)\n\n' + others)
    if superseded:
        parts.append('Older results of the same configs, left out: '
                     + ', '.join(r['file'] for r in superseded))
    return '\n\n'.join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Collect test.py JSON outputs into the paper's table (GTA5→CS "
                    'mIoU19, SYNTHIA→CS mIoU16/mIoU13 per backbone and source model, '
                    "with the paper's values and the differences).")
    parser.add_argument('paths', nargs='+', metavar='WORK_DIR',
                        help='work dirs searched for eval_*.json, or JSON files')
    args = parser.parse_args(argv)
    try:
        print(results_report(args.paths))
    except ResultsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0
