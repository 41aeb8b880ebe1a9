"""``--launcher pytorch`` with two GPU processes: NCCL, the config's SyncBN kept as
SyncBN, and both ranks ending with the same trainable parameters, equal to rank 0's
checkpoint. The CPU twin (gloo, SyncBN reverted) is ``test_ddp.py``."""
import glob
import json
import os.path as osp

import pytest
import torch
import torch.distributed as dist
from mmcv.runner import HOOKS, Hook

from test_ddp import assert_ranks_agree, run_two_processes

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
    work = run_two_processes(tmp_path, hooks=[dict(type='RecordDistSetupHook')],
                             imports=['test_gpu_ddp'], timeout=300)
    for rank in range(2):
        with open(osp.join(work, f'setup_rank{rank}.json')) as f:
            setup = json.load(f)
        assert setup['backend'] == 'nccl' and setup['world_size'] == 2
        assert setup['device'] == 'cuda'
        assert setup['sync_bn'] >= 1, setup  # the head's SyncBN stayed SyncBN
    assert_ranks_agree(work)
    log = open(glob.glob(osp.join(work, 'pretrain_*.log'))[0]).read()
    assert '2 process(es) on cuda' in log
