"""tools/results_table.py: test.py's JSON outputs of a sweep -> the paper's table."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmseg_uvpt.launch.paper_runs import PAPER_MIOU, run_of_release_file
from mmseg_uvpt.launch import run_results
from mmseg_uvpt.launch.run_results import ResultsError, main, results_report

REPO = Path(__file__).resolve().parents[1]


def write_result(folder, config, means, name='eval_20260101_000000.json', mtime=None,
                 checkpoint='run/best_mIoU_iter_2000.pth'):
    """A JSON file as test.py --eval mIoU writes it (means in %)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(dict(
        config=config, checkpoint=checkpoint, aug_test=False, means=means,
        metrics=dict(mIoU=means.get('mIoU19', 0) / 100, aAcc=0.9))))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def table_rows(text, width=15, key_cells=3):
    """{(configs, source model, backbone[, target]): cells} of the Markdown rows of
    ``width`` cells in ``text`` (the paper table by default), keyed by their first
    ``key_cells`` cells."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if len(cells) == width and cells[1] in ('standard', 'Source-GtA'):
            rows[tuple(cells[:key_cells])] = cells[key_cells:]
    return rows


def test_made_up_sweep_fills_the_19_16_13_columns(tmp_path):
    work = tmp_path / 'work_dirs' / 'test'
    write_result(work / 'a', 'configs/uvpt/swin-b_standard_gta52cityscapes.py',
                 dict(mIoU19=55.95))
    write_result(work / 'b', 'configs/uvpt/swin-b_standard_synthia2cityscapes.py',
                 dict(mIoU19=44.0, mIoU16=53.1, mIoU13=59.0))
    write_result(work / 'c', 'configs/uvpt/mit-b5_source-gta_synthia2cityscapes.py',
                 dict(mIoU19=45.0, mIoU16=52.8, mIoU13=61.15))
    # the newer of two evaluations of one config wins
    write_result(work / 'd', 'configs/uvpt/mit-b5_standard_gta52cityscapes.py',
                 dict(mIoU19=50.0), name='eval_old.json', mtime=1_000_000)
    write_result(work / 'd', 'configs/uvpt/mit-b5_standard_gta52cityscapes.py',
                 dict(mIoU19=54.7), name='eval_new.json', mtime=2_000_000)
    text = results_report([str(work)])
    rows = table_rows(text)
    assert rows[('configs/uvpt', 'standard', 'Swin-B')] == [
        '55.95', '—', '56.2', '-0.25', '53.10', '—', '52.6', '+0.50',
        '59.00', '—', '59.4', '-0.40']
    assert rows[('configs/uvpt', 'Source-GtA', 'MiT-B5')] == [
        '—', '—', '56.1', '—', '52.80', '—', '53.8', '-1.00', '61.15', '—', '60.1', '+1.05']
    assert rows[('configs/uvpt', 'standard', 'MiT-B5')][:4] == ['54.70', '—', '54.2',
                                                                 '+0.50']
    assert len(rows) == 3   # Source-GtA Swin-B has no result: no row
    assert 'eval_old.json' in text.split('left out:')[1]
    # table order: standard before Source-GtA, Swin-B before MiT-B5
    order = list(rows)
    assert order.index(('configs/uvpt', 'standard', 'Swin-B')) < \
        order.index(('configs/uvpt', 'standard', 'MiT-B5')) < \
        order.index(('configs/uvpt', 'Source-GtA', 'MiT-B5'))


def test_release_and_trained_results_get_separate_rows(tmp_path):
    name = 'swin-b_source-gta_gta52cityscapes'
    write_result(tmp_path / 'test', f'configs/uvpt/{name}.py', dict(mIoU19=56.0))
    write_result(tmp_path / 'test_release', f'configs/uvpt/release/{name}.py',
                 dict(mIoU19=56.9))
    rows = table_rows(results_report([str(tmp_path)]))
    assert rows[('configs/uvpt', 'Source-GtA', 'Swin-B')][:4] == ['56.00', '—', '56.9',
                                                                   '-0.90']
    assert rows[('configs/uvpt/release', 'Source-GtA', 'Swin-B')][:4] == \
        ['56.90', '—', '56.9', '+0.00']


def test_best_and_last_side_by_side_with_the_release_synthia_figures(tmp_path):
    config = 'configs/uvpt/swin-b_standard_synthia2cityscapes.py'
    write_result(tmp_path / 'best', config, dict(mIoU19=45.0, mIoU16=53.0, mIoU13=60.0,
                                                 mIoU16_release=53.44,
                                                 mIoU13_release=60.52))
    write_result(tmp_path / 'last', config, dict(mIoU19=44.0, mIoU16=52.0, mIoU13=58.5),
                 checkpoint='run/latest.pth')
    text = results_report([str(tmp_path)])
    cells = table_rows(text)[('configs/uvpt', 'standard', 'Swin-B')]
    assert cells[4:] == ['53.00 (53.44)', '52.00', '52.6', '+0.40',
                         '60.00 (60.52)', '58.50', '59.4', '+0.60']
    assert 'left out' not in text  # best and last are not one result superseding another
    assert 'selected on and the split reported' in text
    assert '19·mIoU19/16' in text


def toy_demo_outputs(root):
    """What the toy demo leaves: test.py outputs of the source-only and the adapted
    model under <work dir>/test_source and /test_uvpt, plus its own summary.json."""
    write_result(root / 'test_source', 'configs/toy/test_source_mit-tiny.py',
                 dict(mIoU19=14.93))
    write_result(root / 'test_uvpt', 'configs/toy/uvpt_mit-tiny.py', dict(mIoU19=16.31))
    (root / 'summary.json').write_text(json.dumps(dict(uvpt_miou=16.31)))


def test_toy_demo_outputs_print_a_table(tmp_path, capsys):
    toy_demo_outputs(tmp_path / 'toy_demo')
    assert main([str(tmp_path / 'toy_demo')]) == 0
    out = capsys.readouterr().out
    assert 'GTA5→CS' not in out   # no paper run among them
    lines = [l for l in out.splitlines() if l.startswith('| configs/toy/')]
    assert lines == [
        '| configs/toy/test_source_mit-tiny.py | run/best_mIoU_iter_2000.pth | 14.93 |',
        '| configs/toy/uvpt_mit-tiny.py | run/best_mIoU_iter_2000.pth | 16.31 |']


def test_the_script_runs_on_the_toy_demo_outputs(tmp_path):
    toy_demo_outputs(tmp_path / 'toy_demo')
    out = subprocess.run([sys.executable, 'tools/results_table.py',
                          str(tmp_path / 'toy_demo')], cwd=REPO, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.returncode == 0, out.stderr
    assert '| configs/toy/uvpt_mit-tiny.py | run/best_mIoU_iter_2000.pth | 16.31 |' \
        in out.stdout


def test_bad_inputs_name_the_file(tmp_path, capsys):
    with pytest.raises(ResultsError, match='no eval_'):
        results_report([str(tmp_path)])
    bad = tmp_path / 'eval_x.json'
    bad.write_text('{"means": {}}')
    with pytest.raises(ResultsError, match='eval_x.json.*config'):
        results_report([str(tmp_path)])
    bad.write_text('not json')
    assert main([str(bad)]) == 1
    assert 'eval_x.json' in capsys.readouterr().err
    assert main([str(tmp_path / 'missing')]) == 1


def test_release_file_names_give_the_runs():
    assert run_of_release_file('model/SSS_MiT-B5_Synthia_Cityscapes_Uni-UVPT_LP_52.6_59.3.pth') \
        == ('mit-b5_standard_synthia2cityscapes', True)
    assert run_of_release_file('GtA_Swin-B_GTAV_Cityscapes_Uni-UVPT_LP_56.9.pth') == \
        ('swin-b_source-gta_gta52cityscapes', True)
    assert run_of_release_file('GtA_MiT-B5_Synthia_Cityscapes_50.0_56.2.pth') == \
        ('mit-b5_source-gta_synthia', False)
    assert run_of_release_file('converted.pth') is None
    # the paper's table: one column per source set
    assert PAPER_MIOU['swin-b_standard_gta52cityscapes'] == dict(mIoU19=56.2)
    assert PAPER_MIOU['mit-b5_source-gta_synthia2cityscapes'] == \
        dict(mIoU16=53.8, mIoU13=60.1)


def test_real_test_py_outputs(tmp_path):
    """test.py's own JSON, from a tiny 2-iteration model, once under a toy config's
    name and once under a paper run's: both reach the report."""
    from mmseg_uvpt.apis import evaluate_main, pretrain_main
    from test_apis_support import dump_config, run_config, write_cityscapes_like

    cfg = run_config(write_cityscapes_like(str(tmp_path / 'data')), max_iters=2,
                     ckpt_interval=2)
    for folder in ('toy', 'uvpt'):
        (tmp_path / 'configs' / folder).mkdir(parents=True)
    toy = dump_config(cfg, tmp_path / 'configs' / 'toy' / 'tiny_mit.py')
    paper = dump_config(cfg, tmp_path / 'configs' / 'uvpt' /
                        'mit-b5_standard_gta52cityscapes.py')
    checkpoint = pretrain_main([toy, '--work-dir', str(tmp_path / 'run'),
                                '--no-validate', '--seed', '0'])['last_checkpoint']
    outs = [evaluate_main([config, checkpoint, '--eval', 'mIoU', '--work-dir',
                           str(tmp_path / 'work_dirs' / name)])
            for config, name in ((toy, 'toy'), (paper, 'paper'))]
    means = [out['means']['mIoU19'] for out in outs]
    # the checkpoint's training seed (meta['seed']) is recorded for the table
    assert json.loads(Path(outs[0]['json']).read_text())['train_seed'] == 0
    text = results_report([str(tmp_path / 'work_dirs')])
    rows = table_rows(text)
    folder = str(Path(paper).parent)
    # the last checkpoint of the run (not a best_* file)
    assert rows[(folder, 'standard', 'MiT-B5')][:4] == ['—', f'{means[1]:.2f}', '54.2', '—']
    assert f'| {toy} | {checkpoint} | {means[0]:.2f} |' in text


# ---------------------------------------------------------------------------------
# seeds: results of one config and checkpoint kind that differ only in the training
# seed are averaged (mean ± sample std, n)

NAME = 'swin-b_standard_gta52cityscapes'   # paper: mIoU19 56.2
CONFIG = f'configs/uvpt/{NAME}.py'


def write_seeds(root, config, values, key='mIoU19', kind='best', seeds=(0, 1, 2)):
    """One test.py output per seed, as launcher_test.py --seeds lays them out:
    <root>/seed{N}/eval_*.json of <...>/uvpt/<run>/seed{N}/<checkpoint>."""
    ckpt = 'best_mIoU_iter_2000.pth' if kind == 'best' else 'latest.pth'
    return [write_result(root / f'seed{seed}', config, {key: value},
                         checkpoint=f'work_dirs/uvpt/{NAME}/seed{seed}/{ckpt}')
            for seed, value in zip(seeds, values)]


def test_mean_and_sample_std_of_three_seeds(tmp_path):
    # 50, 52, 57: mean 53; squared deviations 9 + 1 + 16 = 26, / (3 - 1) = 13
    mean, std, n = run_results.mean_std([50.0, 52.0, 57.0])
    assert (mean, n) == (53.0, 3) and std == pytest.approx(13 ** 0.5) \
        == pytest.approx(3.6056, abs=1e-4)
    assert run_results.mean_std([54.7]) == (54.7, None, 1)   # no std of one value

    write_seeds(tmp_path / 'test' / NAME, CONFIG, [50.0, 52.0, 57.0])
    # another run with one seed, in the same table: n=1, its std undefined
    write_result(tmp_path / 'test' / 'mit' / 'seed0',
                 'configs/uvpt/mit-b5_standard_gta52cityscapes.py', dict(mIoU19=54.7))
    text = results_report([str(tmp_path)])
    rows = table_rows(text)
    assert rows[('configs/uvpt', 'standard', 'Swin-B')][:4] == [
        '53.00 ± 3.61 n=3', '—', '56.2', '-3.20']   # 53.0 - 56.2
    assert rows[('configs/uvpt', 'standard', 'MiT-B5')][:4] == [
        '54.70 ± — n=1', '—', '54.2', '+0.50']
    assert 'sample standard deviation (ddof=1)' in text
    assert 'left out' not in text   # three seeds, not three versions of one result


def test_best_and_last_and_configs_are_never_merged(tmp_path):
    work = tmp_path / 'test'
    # best: 50, 54 -> 52 ± sqrt(8) = 2.83; last: 40, 41 -> 40.5 ± sqrt(0.5) = 0.71
    write_seeds(work / NAME / 'best', CONFIG, [50.0, 54.0], seeds=(0, 1))
    write_seeds(work / NAME / 'last', CONFIG, [40.0, 41.0], kind='last', seeds=(0, 1))
    # the same run under the release configs, and another run: rows of their own
    write_seeds(work / 'release', f'configs/uvpt/release/{NAME}.py', [56.9])
    write_seeds(work / 'other', 'configs/uvpt/swin-b_source-gta_gta52cityscapes.py',
                [60.0, 62.0, 64.0])   # 62 ± 2
    rows = table_rows(results_report([str(work)]))
    assert rows[('configs/uvpt', 'standard', 'Swin-B')][:4] == [
        '52.00 ± 2.83 n=2', '40.50 ± 0.71 n=2', '56.2', '-4.20']
    assert rows[('configs/uvpt/release', 'standard', 'Swin-B')][:4] == [
        '56.90 ± — n=1', '—', '56.2', '+0.70']
    assert rows[('configs/uvpt', 'Source-GtA', 'Swin-B')][:4] == [
        '62.00 ± 2.00 n=3', '—', '56.9', '+5.10']
    assert len(rows) == 3


def test_the_same_seed_twice_keeps_the_newer_result(tmp_path):
    work = tmp_path / 'test' / NAME
    write_seeds(work, CONFIG, [50.0, 52.0], seeds=(0, 1))
    old = write_result(work / 'seed1', CONFIG, dict(mIoU19=10.0), name='eval_old.json',
                       mtime=1_000_000, checkpoint=f'uvpt/{NAME}/seed1/best_x.pth')
    text = results_report([str(tmp_path)])
    # 50, 52 -> 51 ± sqrt(2) = 1.41; the old seed-1 result (10.0) is left out
    assert table_rows(text)[('configs/uvpt', 'standard', 'Swin-B')][0] == \
        '51.00 ± 1.41 n=2'
    assert str(old) in text.split('left out:')[1]


def test_the_seed_comes_from_train_seed_then_the_paths(tmp_path):
    def seed_of(folder, checkpoint, **extra):
        path = write_result(tmp_path / folder, CONFIG, dict(mIoU19=1.0),
                            checkpoint=checkpoint)
        content = json.loads(path.read_text())
        path.write_text(json.dumps(dict(content, **extra)))
        return run_results.read_result(str(path))['seed']

    # test.py's train_seed first, whatever the folders say
    assert seed_of('a/seed1', 'uvpt/seed2/best_x.pth', train_seed=7) == 7
    assert seed_of('b/seed1', 'uvpt/seed2/best_x.pth', train_seed=0) == 0
    # else the checkpoint's seed{N} folder (the innermost), else the JSON's folder
    assert seed_of('c/seed1', 'w/seed5/uvpt/seed2/best_x.pth') == 2
    assert seed_of('d/seed1', 'uvpt/run/best_x.pth', train_seed=None) == 1
    # not a seed: a file name, a longer folder name, nothing at all
    assert seed_of('e/test_seed3', 'uvpt/seed4.pth') is None
    assert run_results.path_seed(None) is None
    with pytest.raises(ResultsError, match='train_seed'):
        seed_of('f', 'x.pth', train_seed='0')


def test_results_of_test_py_group_by_their_recorded_seed(tmp_path):
    """Without seed folders, train_seed alone tells the seeds apart (and a result
    whose seed is not known is one of its own)."""
    for i, (seed, value) in enumerate([(0, 50.0), (1, 52.0), (2, 57.0)]):
        path = write_result(tmp_path / 'flat', CONFIG, dict(mIoU19=value),
                            name=f'eval_{i}.json')
        path.write_text(json.dumps(dict(json.loads(path.read_text()),
                                        train_seed=seed)))
    assert table_rows(results_report([str(tmp_path)]))[
        ('configs/uvpt', 'standard', 'Swin-B')][0] == '53.00 ± 3.61 n=3'


def test_toy_demo_seeds_print_mean_and_std(tmp_path, capsys):
    """What tools/toy_demo.py --seeds 0 1 2 leaves: one toy demo per seed{N} folder,
    each test.py output with its train_seed."""
    root = tmp_path / 'toy_demo'
    source = [14.9, 15.0, 15.1]   # 15.00 ± 0.10
    uvpt = [17.0, 17.5, 18.3]     # 17.60; squared deviations .36 + .01 + .49 = .86
    for seed in (0, 1, 2):
        for folder, config, value, ckpt in (
                ('test_source', 'configs/toy/test_source_mit-tiny.py', source[seed],
                 'pretrain/iter_800.pth'),
                ('test_uvpt', 'configs/toy/uvpt_mit-tiny.py', uvpt[seed],
                 'uvpt/iter_400.pth')):
            path = write_result(root / f'seed{seed}' / folder, config,
                                dict(mIoU19=value),
                                checkpoint=str(root / f'seed{seed}' / ckpt))
            path.write_text(json.dumps(dict(json.loads(path.read_text()),
                                            train_seed=seed)))
    assert main([str(root)]) == 0
    out = capsys.readouterr().out
    lines = [l for l in out.splitlines() if l.startswith('| configs/toy/')]
    assert lines == [   # sqrt(.86 / 2) = 0.656
        f'| configs/toy/test_source_mit-tiny.py | {root}/seed*/pretrain/iter_800.pth '
        '| 0, 1, 2 | 15.00 ± 0.10 n=3 |',
        f'| configs/toy/uvpt_mit-tiny.py | {root}/seed*/uvpt/iter_400.pth '
        '| 0, 1, 2 | 17.60 ± 0.66 n=3 |']
    assert '| config | checkpoint | seeds | mIoU19 |' in out
    assert 'left out' not in out


def test_vit_runs_get_rows_of_their_own_without_paper_values(tmp_path):
    work = tmp_path / 'test'
    write_result(work / 'a', 'configs/uvpt/vit-b14_standard_gta52cityscapes.py',
                 dict(mIoU19=61.5))
    write_result(work / 'b', 'configs/uvpt/vit-b14_standard_synthia2cityscapes.py',
                 dict(mIoU19=50.0, mIoU16=55.25, mIoU13=62.0))
    rows = table_rows(results_report([str(work)]))
    assert rows == {('configs/uvpt', 'standard', 'ViT-B/14'): [
        '61.50', '—', '—', '—', '55.25', '—', '—', '—', '62.00', '—', '—', '—']}


def adverse_rows(text):
    """{(configs, source model, backbone, target): cells} of the ACDC / Dark Zurich
    table."""
    return table_rows(text.split('ACDC / Dark Zurich val mIoU')[1], width=10,
                      key_cells=4)


def test_adverse_runs_fill_their_own_table_with_acdc_per_condition(tmp_path):
    work = tmp_path / 'test'
    per_condition = dict(mIoU_fog=60.0, mIoU_night=30.5, mIoU_rain=55.0, mIoU_snow=50.0)
    write_result(work / 'a', 'configs/uvpt/mit-b5_standard_cityscapes2acdc.py',
                 dict(mIoU19=48.75, **per_condition))
    write_result(work / 'a', 'configs/uvpt/mit-b5_standard_cityscapes2acdc.py',
                 dict(mIoU19=47.0), name='eval_last.json', checkpoint='run/latest.pth')
    write_result(work / 'b', 'configs/uvpt/swin-b_source-gta_cityscapes2acdc-night.py',
                 dict(mIoU19=33.0))
    write_result(work / 'c', 'configs/uvpt/mit-b5_standard_cityscapes2darkzurich.py',
                 dict(mIoU19=41.0))
    text = results_report([str(work)])
    assert 'Cityscapes val mIoU' not in text  # no run to Cityscapes: no paper table
    rows = adverse_rows(text)
    assert rows[('configs/uvpt', 'standard', 'MiT-B5', 'ACDC')] == [
        '48.75', '47.00', '60.00', '30.50', '55.00', '50.00']
    assert rows[('configs/uvpt', 'standard', 'MiT-B5', 'Dark Zurich')] == [
        '41.00', '—', '—', '—', '—', '—']
    assert rows[('configs/uvpt', 'Source-GtA', 'Swin-B', 'ACDC night')] == [
        '33.00', '—', '—', '—', '—', '—']
    # table order: standard before Source-GtA, ACDC before Dark Zurich
    assert list(rows) == [('configs/uvpt', 'standard', 'MiT-B5', 'ACDC'),
                          ('configs/uvpt', 'standard', 'MiT-B5', 'Dark Zurich'),
                          ('configs/uvpt', 'Source-GtA', 'Swin-B', 'ACDC night')]
    assert 'Other configs' not in text
