"""The README's main job end to end: the toy demo must beat its source model.

Minutes on 2 CPU cores (the four stages take ~8 min), hence the ``slow`` mark; CI runs it.
"""
import json
import os
import os.path as osp

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.slow
def test_toy_demo_adaptation_beats_source(tmp_path, monkeypatch):
    from mmseg_uvpt.user_tools.toy_demo_run import run_toy_demo
    monkeypatch.chdir(REPO)  # the toy configs read data/toy relative to the checkout
    # the suite runs torch on one thread (tests/conftest.py); the demo is real
    # training, so let it use every core as `bash tools/demo.sh` does
    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        summary = run_toy_demo(str(tmp_path / 'toy_demo'), seed=0)
    finally:
        torch.set_num_threads(threads)
    with open(osp.join(str(tmp_path / 'toy_demo'), 'summary.json')) as f:
        saved = json.load(f)
    assert saved['uvpt_miou'] == summary['uvpt_miou']
    assert summary['uvpt_miou'] > summary['source_only_miou'] > 0
    assert 0 < summary['trainable_params'] < summary['total_params']
    assert set(summary['seconds']) == {'data', 'pretrain', 'pseudo_label', 'test_source',
                                       'adapt', 'test_uvpt'}
    assert os.path.getsize(summary['grid']) > 0
