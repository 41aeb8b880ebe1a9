"""tools/offline_plan.py, the checks ``install.sh --offline`` makes before installing
anything: the wheelhouse's Python and pins, torch's range, torchvision, the packages
the wheelhouse left out; and the requirement and constraint lines it writes."""
import importlib.util
import json
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PINS = ('torch==2.14.1\ntorchvision==0.29.1\nmmcv-full==1.7.2\nmmsegmentation==0.30.0\n'
        '# a comment\naddict==2.4.0\nnumpy==2.4.6  # trailing comment\n')


@pytest.fixture
def tool():
    sys.path.insert(0, osp.join(REPO, 'tools'))
    try:
        spec = importlib.util.spec_from_file_location(
            'offline_plan', osp.join(REPO, 'tools', 'offline_plan.py'))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(osp.join(REPO, 'tools'))


def wheelhouse(tmp_path, python=None, packages=None, left_out=None):
    folder = tmp_path / 'wh'
    folder.mkdir(exist_ok=True)
    (folder / 'mmcv-full-1.7.2.tar.gz').write_bytes(b'')
    manifest = dict(python=python or '%d.%d' % sys.version_info[:2],
                    packages=packages if packages is not None else {'addict': '2.4.0'},
                    left_out=left_out if left_out is not None else {'numpy': 'numpy==2.4.6'},
                    build_tools=['setuptools>=77', 'ninja'],
                    mmcv_sdist=dict(name='mmcv-full-1.7.2.tar.gz', sha256='x'))
    (folder / 'wheelhouse.json').write_text(json.dumps(manifest))
    (tmp_path / 'requirements.txt').write_text(PINS)
    return str(folder), str(tmp_path / 'requirements.txt')


def fake_env(monkeypatch, tool, **versions):
    monkeypatch.setattr(tool, 'installed', lambda name: versions.get(name.replace('-', '_')))


def test_plan_keeps_torch_and_left_out_packages(tmp_path, tool, monkeypatch, capsys):
    fake_env(monkeypatch, tool, torch='2.11.0+cu130', torchvision='0.26.0', numpy='2.5.2')
    wanted, constraints = tool.plan(*wheelhouse(tmp_path))
    assert wanted == ['addict==2.4.0', 'setuptools>=77', 'ninja']
    assert constraints == ['torch==2.11.0+cu130', 'torchvision==0.26.0', 'numpy==2.5.2']
    out = capsys.readouterr().out
    assert 'numpy 2.5.2 is kept (the pin is numpy==2.4.6)' in out
    # main() writes both files
    reqs, cons = tmp_path / 'r.txt', tmp_path / 'c.txt'
    tool.main([*wheelhouse(tmp_path), str(reqs), str(cons)])
    assert reqs.read_text() == 'addict==2.4.0\nsetuptools>=77\nninja\n'
    assert cons.read_text().splitlines()[0] == 'torch==2.11.0+cu130'


@pytest.mark.parametrize('versions,message', [
    (dict(torchvision='0.26.0', numpy='2.5.2'), 'no torch in'),
    (dict(torch='2.10.0', torchvision='0.25.0', numpy='2.5.2'), 'outside the supported'),
    (dict(torch='2.15.0', torchvision='0.30.0', numpy='2.5.2'), 'outside the supported'),
    (dict(torch='2.14.1', numpy='2.5.2'), 'no torchvision'),
    (dict(torch='2.14.1', torchvision='0.29.1'), 'left out numpy'),
])
def test_environment_problems_stop_before_installing(tmp_path, tool, monkeypatch, versions,
                                                     message):
    fake_env(monkeypatch, tool, **versions)
    with pytest.raises(SystemExit, match=message):
        tool.plan(*wheelhouse(tmp_path))


def test_wheelhouse_problems(tmp_path, tool, monkeypatch):
    fake_env(monkeypatch, tool, torch='2.14.1', torchvision='0.29.1', numpy='2.4.6')
    with pytest.raises(SystemExit, match='holds wheels for Python 2.7'):
        tool.plan(*wheelhouse(tmp_path, python='2.7'))
    with pytest.raises(SystemExit, match=r'other pins .*addict==2.4.0 \(wheelhouse: 2.3.0\)'):
        tool.plan(*wheelhouse(tmp_path, packages={'addict': '2.3.0'}))
    with pytest.raises(SystemExit, match=r'numpy==2.4.6 \(wheelhouse: none\)'):
        tool.plan(*wheelhouse(tmp_path, left_out={}))
    with pytest.raises(SystemExit, match='wheelhouse.json is missing'):
        tool.plan(str(tmp_path / 'nowhere'), str(tmp_path / 'requirements.txt'))
