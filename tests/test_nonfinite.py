"""A NaN loss stops training before the optimizer step, with a message naming the
iteration, the loss term and the last good checkpoint, which stays intact."""
import os
import os.path as osp

import pytest
import torch
from mmseg.models.losses import CrossEntropyLoss

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.apis import pretrain_main
from mmseg_uvpt.core import NonFiniteLossError
from mmseg_uvpt.checkpoints import load_checkpoint_file
from test_apis_support import dump_config, run_config, write_cityscapes_like


def test_nan_loss_stops_the_run_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    torch.set_num_threads(1)
    data = write_cityscapes_like(str(tmp_path / 'data'))
    config = dump_config(run_config(data, max_iters=6, ckpt_interval=2),
                         tmp_path / 'c.py')
    work = str(tmp_path / 'run')

    calls = dict(loss=0, step=0)
    loss_forward, adamw_step = CrossEntropyLoss.forward, torch.optim.AdamW.step

    def nan_at_third_call(self, *args, **kwargs):
        calls['loss'] += 1
        loss = loss_forward(self, *args, **kwargs)
        return loss * float('nan') if calls['loss'] == 3 else loss

    def counted_step(self, *args, **kwargs):
        calls['step'] += 1
        return adamw_step(self, *args, **kwargs)

    monkeypatch.setattr(CrossEntropyLoss, 'forward', nan_at_third_call)
    monkeypatch.setattr(torch.optim.AdamW, 'step', counted_step)
    with pytest.raises(NonFiniteLossError) as err:
        pretrain_main([config, '--work-dir', work, '--no-validate', '--seed', '0'])

    message = str(err.value)
    last = osp.join(work, 'iter_2.pth')
    assert 'non-finite loss at iteration 3: decode.loss_ce, loss' in message
    assert f'the last good checkpoint is {last}' in message
    assert calls == dict(loss=3, step=2)  # no update from the NaN iteration
    assert sorted(f for f in os.listdir(work) if f.endswith('.pth')) == \
        ['iter_2.pth', 'latest.pth']
    assert os.readlink(osp.join(work, 'latest.pth')) == 'iter_2.pth'
    checkpoint = load_checkpoint_file(last)
    assert checkpoint['meta']['iter'] == 2
    assert all(torch.isfinite(v).all() for v in checkpoint['state_dict'].values()
               if v.is_floating_point())
