"""``--launcher pytorch`` with two CPU processes (torchrun, gloo): a config written
for SyncBN trains with plain BN, evaluation runs distributed, and both ranks end
with the same trainable parameters, equal to rank 0's checkpoint."""
import glob
import os
import os.path as osp
import subprocess
import sys

import torch

from test_apis_support import (REPO, dump_config, run_config, stock_model,
                               write_cityscapes_like)


def run_two_processes(tmp_path, hooks=(), imports=(), timeout=540):
    """2 iterations of pretrain.py under torchrun with 2 processes (gloo on the CPU,
    NCCL on GPUs) on a tiny model whose head asks for SyncBN; returns the work dir.
    ``hooks``/``imports``: extra custom hooks and the test modules defining them."""
    data = write_cityscapes_like(str(tmp_path / 'data'))
    model = stock_model()
    model['decode_head']['norm_cfg'] = dict(type='SyncBN', requires_grad=True)
    cfg = run_config(data, model, max_iters=2, ckpt_interval=2, eval_interval=2,
                     samples_per_gpu=2,
                     custom_hooks=[dict(type='SaveRankParamsHook'), *hooks])
    cfg['custom_imports'] = dict(imports=['mmseg_uvpt', 'test_apis_support', *imports],
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
        env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return work


def assert_ranks_agree(work):
    """Both ranks' trainable parameters are identical and equal rank 0's checkpoint."""
    rank0 = torch.load(osp.join(work, 'params_rank0.pth'), weights_only=True)
    rank1 = torch.load(osp.join(work, 'params_rank1.pth'), weights_only=True)
    assert rank0.keys() == rank1.keys() and len(rank0) > 10
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    checkpoint = torch.load(osp.join(work, 'iter_2.pth'), weights_only=True)
    for name in rank0:
        assert torch.equal(checkpoint['state_dict'][name], rank0[name]), name
    return checkpoint


def test_two_cpu_processes_end_with_identical_parameters(tmp_path):
    # torch's DDP refuses SyncBN in CPU modules: the run only works if it is reverted
    work = run_two_processes(tmp_path)
    checkpoint = assert_ranks_agree(work)
    # one RNG state per rank in the checkpoint; evaluation ran on both ranks
    assert len(checkpoint['runtime']['rng']) == 2
    assert glob.glob(osp.join(work, 'best_mIoU_iter_2.pth'))
    log = open(glob.glob(osp.join(work, 'pretrain_*.log'))[0]).read()
    assert '2 process(es) on cpu' in log
