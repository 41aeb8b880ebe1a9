"""tools/toy_demo.py --seeds: one toy demo per seed in <work dir>/seed{N} and the mean
± sample std over them. The demo itself is replaced by a stand-in (the real one takes
minutes per seed, see tests/test_toy_demo.py)."""
import importlib.util
import json
import os.path as osp

import pytest

from mmseg_uvpt.user_tools import toy_demo_run

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# made-up figures per seed: source-only 14.9, 15.0, 15.1 -> 15.00 ± 0.10;
# Uni-UVPT 17.0, 17.5, 18.3 -> 17.60 ± sqrt((.36 + .01 + .49) / 2) = 0.66;
# difference 2.1, 2.5, 3.2 -> 2.60 ± sqrt((.25 + .01 + .36) / 2) = 0.56
FIGURES = {0: (14.9, 17.0), 1: (15.0, 17.5), 2: (15.1, 18.3), 3: (15.0, 14.0)}


def toy_demo_tool():
    spec = importlib.util.spec_from_file_location(
        'toy_demo_tool', osp.join(REPO, 'tools', 'toy_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo_calls(monkeypatch):
    """Replace run_toy_demo (in the library and in the tool) by a stand-in that
    records its calls and returns the made-up figures of the seed."""
    calls = []

    def fake_run(work_dir, seed=0, fresh=False, train_options=()):
        calls.append((work_dir, seed, fresh, train_options))
        source, uvpt = FIGURES[seed]
        return dict(source_only_miou=source, uvpt_miou=uvpt,
                    miou_gain=round(uvpt - source, 2))

    tool = toy_demo_tool()
    monkeypatch.setattr(toy_demo_run, 'run_toy_demo', fake_run)
    monkeypatch.setattr(tool, 'run_toy_demo', fake_run)
    return tool, calls


def test_seeds_run_one_demo_per_seed_folder(demo_calls, tmp_path, capsys):
    tool, calls = demo_calls
    work = str(tmp_path / 'toy_demo')
    assert tool.main(['--work-dir', work, '--seeds', '0', '1', '2', '--fresh',
                      '--train-options', 'model.amp_dtype=bfloat16']) == 0
    assert calls == [(osp.join(work, f'seed{n}'), n, True,
                      ('model.amp_dtype=bfloat16', )) for n in (0, 1, 2)]
    out = capsys.readouterr().out
    assert 'over 3 seeds (0, 1, 2)' in out
    assert '  source-only mIoU    15.00 ± 0.10   (per seed: 14.90, 15.00, 15.10)' in out
    assert '  Uni-UVPT mIoU       17.60 ± 0.66   (per seed: 17.00, 17.50, 18.30)' in out
    assert '  difference          +2.60 ± 0.56   (per seed: +2.10, +2.50, +3.20)' in out
    saved = json.load(open(osp.join(work, 'summary_seeds.json')))
    assert saved['uvpt_miou'] == dict(mean=17.6, std=0.66,
                                      per_seed={'0': 17.0, '1': 17.5, '2': 18.3})
    assert saved['n'] == 3 and saved['seeds_beating_source'] == [0, 1, 2]
    assert open(osp.join(work, 'summary_seeds.txt')).read().strip() in out


def test_a_seed_that_does_not_beat_the_source_fails_the_demo(demo_calls, tmp_path,
                                                              capsys):
    tool, _ = demo_calls
    assert tool.main(['--work-dir', str(tmp_path), '--seeds', '0', '3']) == 1
    assert 'beat the source    1 of 2 seeds' in capsys.readouterr().out


def test_one_seed_has_no_std(demo_calls, tmp_path, capsys):
    tool, calls = demo_calls
    assert tool.main(['--work-dir', str(tmp_path), '--seeds', '2']) == 0
    assert calls == [(osp.join(str(tmp_path), 'seed2'), 2, False, ())]
    assert 'Uni-UVPT mIoU       18.30 ± —' in capsys.readouterr().out


def test_without_seeds_one_demo_in_the_work_dir(demo_calls, tmp_path):
    tool, calls = demo_calls
    assert tool.main(['--work-dir', str(tmp_path), '--seed', '3']) == 1  # 14.0 < 15.0
    assert tool.main(['--work-dir', str(tmp_path)]) == 0
    assert calls == [(str(tmp_path), 3, False, ()), (str(tmp_path), 0, False, ())]
    assert not osp.exists(osp.join(str(tmp_path), 'summary_seeds.json'))


@pytest.mark.parametrize('argv,message', [
    (['--seed', '1', '--seeds', '0', '1'], 'not allowed with argument'),
    (['--seeds', '0', '0'], 'given twice'),
    (['--seeds', '-1'], 'seeds are >= 0'),
    (['--seeds'], 'expected at least one'),
])
def test_bad_seeds_are_refused(demo_calls, argv, message, capsys):
    tool, calls = demo_calls
    with pytest.raises(SystemExit):
        tool.main(argv)
    assert message in capsys.readouterr().err and calls == []
