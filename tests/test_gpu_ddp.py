"""``--launcher pytorch`` with two GPU processes: NCCL, the config's SyncBN kept as
SyncBN, and both ranks ending with the same trainable parameters, equal to rank 0's
checkpoint. The CPU twin (gloo, SyncBN reverted) is ``test_ddp.py``."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
from mmcv.runner import HOOKS, Hook

from test_apis_support import (REPO, dump_config, run_config, stock_model,
                               write_cityscapes_like)

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(torch.cuda.device_count() < 2, reason='needs 2 GPUs')]


@HOOKS.register_module()
class RecordDistSetupHook(Hook):
    """Writes ``<work_dir>/setup_rank<r>.json``: the process group's backend, the
    model's device and how many of its norm layers are SyncBN or plain BN."""

    def before_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        norms = [type(m).__name__ for m in model.modules()
                 if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        setup = dict(backend=dist.get_backend(), world_size=dist.get_world_size(),
                     device=next(model.parameters()).device.type,
                     sync_bn=norms.count('SyncBatchNorm'),
                     other_bn=len(norms) - norms.count('SyncBatchNorm'))
        with open(osp.join(runner.work_dir, f'setup_rank{runner.rank}.json'), 'w') as f:
            json.dump(setup, f)


def test_two_gpu_processes_on_nccl_with_syncbn(tmp_path):
    data = write_cityscapes_like(str(tmp_path / 'data'))
    model = stock_model()
    model['decode_head']['norm_cfg'] = dict(type='SyncBN', requires_grad=True)
    cfg = run_config(data, model, max_iters=2, ckpt_interval=2, eval_interval=2,
                     samples_per_gpu=2,
                     custom_hooks=[dict(type='SaveRankParamsHook'),
                                   dict(type='RecordDistSetupHook')])
    cfg['custom_imports'] = dict(imports=['mmseg_uvpt', 'test_apis_support', 'test_gpu_ddp'],
                                 allow_failed_imports=False)
    config = dump_config(cfg, tmp_path / 'ddp.py')
    work = str(tmp_path / 'run')
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([osp.join(REPO, 'tests'),
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone',
         '--nproc_per_node', '2', osp.join(REPO, 'pretrain.py'), config,
         '--launcher', 'pytorch', '--work-dir', work, '--seed', '0'],
        env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    for rank in range(2):
        with open(osp.join(work, f'setup_rank{rank}.json')) as f:
            setup = json.load(f)
        assert setup['backend'] == 'nccl' and setup['world_size'] == 2
        assert setup['device'] == 'cuda'
        assert setup['sync_bn'] >= 1, setup  # the head's SyncBN stayed SyncBN
    rank0 = torch.load(osp.join(work, 'params_rank0.pth'), weights_only=True)
    rank1 = torch.load(osp.join(work, 'params_rank1.pth'), weights_only=True)
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    checkpoint = torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)
    for name in rank0:
        assert torch.equal(checkpoint['state_dict'][name], rank0[name]), name
    log = open(glob.glob(osp.join(work, 'pretrain_*.log'))[0]).read()
    assert '2 process(es) on cuda' in log
