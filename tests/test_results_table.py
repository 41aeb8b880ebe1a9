"""tools/results_table.py: test.py's JSON outputs of a sweep -> the paper's table."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmseg_uvpt.launch.paper_runs import PAPER_MIOU, run_of_release_file
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


def table_rows(text):
    """{(configs, source model, backbone): cells} of the paper table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if len(cells) == 15 and cells[1] in ('standard', 'Source-GtA'):
            rows[tuple(cells[:3])] = cells[3:]
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
    means = [evaluate_main([config, checkpoint, '--eval', 'mIoU', '--work-dir',
                            str(tmp_path / 'work_dirs' / name)])['means']['mIoU19']
             for config, name in ((toy, 'toy'), (paper, 'paper'))]
    text = results_report([str(tmp_path / 'work_dirs')])
    rows = table_rows(text)
    folder = str(Path(paper).parent)
    # the last checkpoint of the run (not a best_* file)
    assert rows[(folder, 'standard', 'MiT-B5')][:4] == ['—', f'{means[1]:.2f}', '54.2', '—']
    assert f'| {toy} | {checkpoint} | {means[0]:.2f} |' in text
