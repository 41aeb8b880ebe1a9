"""Shared test setup."""
import shutil

import pytest
import torch


@pytest.fixture(autouse=True, scope='session')
def _single_thread_torch():
    # The tests use tiny tensors: one intra-op thread is faster than several fighting
    # over the 2 cores of the CI machine, and makes timings of one test stable.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _redirect_smoke_outputs(monkeypatch, root):
    """Point the launchers' smoke runs (generated configs, outputs, stand-in
    weights) at ``root``."""
    from mmseg_uvpt.launch import smoke
    monkeypatch.setattr(smoke, 'GENERATED_DIR', str(root / 'generated'))
    monkeypatch.setattr(smoke, 'SMOKE_ROOT', str(root / 'smoke'))
    monkeypatch.setattr(smoke, 'SMOKE_MODEL_DIR', str(root / 'smoke' / 'model'))
    return root


# Both smoke fixtures remove their smoke folder afterwards: a smoke run's full-size
# checkpoints take about 3 GB, which pytest would keep for its last sessions.
@pytest.fixture
def smoke_dirs(tmp_path, monkeypatch):
    """A smoke folder of the test's own."""
    yield _redirect_smoke_outputs(monkeypatch, tmp_path)
    shutil.rmtree(tmp_path / 'smoke', ignore_errors=True)


@pytest.fixture(scope='module')
def chained_smoke_dirs(tmp_path_factory):
    """One smoke folder for the stages of one run, so each reuses the last."""
    root = tmp_path_factory.mktemp('chain')
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield _redirect_smoke_outputs(monkeypatch, root)
    shutil.rmtree(root, ignore_errors=True)
