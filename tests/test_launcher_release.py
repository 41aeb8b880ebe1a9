"""launcher_test.py: which checkpoint of a run it tests, and --release, which tests
the reference release's eight converted checkpoints with the release configs."""
import os.path as osp
import shlex
import sys

import pytest

from mmseg_uvpt.launch import launcher as launch
from mmseg_uvpt.launch.paper_runs import PAPER_MIOU

REPO = launch.REPO_ROOT


def printed(capsys):
    return [shlex.split(line.split(': ', 1)[1])
            for line in capsys.readouterr().out.splitlines()
            if line.startswith('[test] ')]


def test_release_dry_run_lists_the_eight_release_checkpoints(capsys):
    assert launch.main('test', ['--dry-run', '--release']) == 0
    commands = printed(capsys)
    assert len(commands) == 8
    for name, argv in zip(PAPER_MIOU, commands):
        assert argv[:5] == [sys.executable, 'test.py',
                            f'configs/uvpt/release/{name}.py',
                            f'model/release/{name}.pth', '--eval']
        assert argv[-2:] == ['--work-dir', f'work_dirs/test_release/{name}']
        assert osp.isfile(osp.join(REPO, argv[2]))


def test_latest_checkpoint_on_request(capsys):
    name = 'mit-b5_standard_gta52cityscapes'
    assert launch.main('test', ['--dry-run', '--checkpoint', 'latest', '--only',
                                name]) == 0
    [argv] = printed(capsys)
    assert argv[3] == f'work_dirs/uvpt/{name}/latest.pth'


def test_best_checkpoint_is_found_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = 'swin-b_standard_gta52cityscapes'
    run = tmp_path / 'work_dirs' / 'uvpt' / name
    run.mkdir(parents=True)
    (run / 'best_mIoU_iter_46000.pth').write_bytes(b'')
    (run / 'iter_80000.pth').write_bytes(b'')
    assert launch.adapted_checkpoint(name) == \
        f'work_dirs/uvpt/{name}/best_mIoU_iter_46000.pth'
    assert launch.adapted_checkpoint(name, 'latest') == \
        f'work_dirs/uvpt/{name}/latest.pth'


def test_missing_checkpoints_stop_before_any_job(capsys):
    name = 'mit-b5_source-gta_gta52cityscapes'
    with pytest.raises(SystemExit, match=rf'model/release/{name}.pth.*uvpt_release2mmseg'):
        launch.main('test', ['--release', '--only', name])
    with pytest.raises(SystemExit, match='launcher_train.py, or pass --checkpoint latest'):
        launch.main('test', ['--only', name])
    assert printed(capsys) == []   # nothing started


def test_release_and_smoke_are_exclusive():
    with pytest.raises(SystemExit):
        launch.main('test', ['--release', '--smoke', '--dry-run'])
