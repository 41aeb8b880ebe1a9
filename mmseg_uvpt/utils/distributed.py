"""Process-group set-up, model wrapping and the few collective helpers the run-time
and the correction share, for one process or DDP, on GPUs or CPUs.

mmseg 0.x assumes CUDA for distributed runs (``build_ddp`` asserts it and mmcv's
``init_dist`` divides by the GPU count). Here the same ``--launcher pytorch`` run
works on GPUs (NCCL, SyncBN) and on CPUs (gloo, plain BN), which is also how the
distributed path is tested on a machine without a GPU.
"""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from mmcv.cnn.utils import revert_sync_batchnorm
from mmcv.parallel import MMDataParallel, MMDistributedDataParallel, scatter_kwargs
from mmcv.runner import init_dist
from torch import nn

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


@dataclass
class DistInfo:
    """Where this process runs.

    Args:
        distributed (bool): a process group is in use.
        rank (int): global rank (0 without one).
        world_size (int): number of processes (1 without one).
        local_rank (int): rank on this machine; the GPU index under CUDA.
        device (str): ``'cuda'`` or ``'cpu'``.
    """
    distributed: bool = False
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = 'cpu'


def default_backend():
    """NCCL with GPUs, gloo without (NCCL cannot move CPU tensors)."""
    return 'nccl' if torch.cuda.is_available() else 'gloo'


def init_distributed(launcher, dist_params=None):
    """Join the process group named by ``launcher`` (idempotent within a process).

    Args:
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        dist_params (dict | None): ``cfg.dist_params``; its ``backend`` is replaced by
            gloo when there is no GPU.

    Returns:
        DistInfo
    """
    if launcher not in LAUNCHERS:
        raise ValueError(f'--launcher must be one of {LAUNCHERS}, got {launcher!r}')
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    if launcher == 'none':
        return DistInfo(device=device)
    params = dict(dist_params or {})
    backend = params.pop('backend', None) or default_backend()
    if device == 'cpu' and backend == 'nccl':
        backend = 'gloo'
    local_rank = int(os.environ.get('LOCAL_RANK', 0))
    if not dist.is_initialized():
        if launcher == 'pytorch':
            # torchrun sets RANK/WORLD_SIZE/MASTER_*; mmcv's own pytorch path
            # needs a GPU (rank % device_count), hence this one
            if device == 'cuda':
                torch.cuda.set_device(local_rank)
            dist.init_process_group(backend=backend)
        else:
            init_dist(launcher, backend=backend, **params)
    if device == 'cuda':
        local_rank = torch.cuda.current_device()
    return DistInfo(True, dist.get_rank(), dist.get_world_size(), local_rank, device)


class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmcv's DDP wrapper without device ids (CPU processes) hands mmcv
    ``DataContainer`` batches to the model unopened; open them on the CPU first,
    as ``MMDataParallel`` does with device ``-1``."""

    def _to_cpu_inputs(self, inputs, kwargs):
        inputs, kwargs = scatter_kwargs(inputs, kwargs, [-1], dim=self.dim)
        return inputs[0], kwargs[0]

    def train_step(self, *inputs, **kwargs):
        inputs, kwargs = self._to_cpu_inputs(inputs, kwargs)
        return super().train_step(*inputs, **kwargs)

    def val_step(self, *inputs, **kwargs):
        inputs, kwargs = self._to_cpu_inputs(inputs, kwargs)
        return super().val_step(*inputs, **kwargs)

    def forward(self, *inputs, **kwargs):
        inputs, kwargs = self._to_cpu_inputs(inputs, kwargs)
        return super().forward(*inputs, **kwargs)


def set_norm_layers(model, info, sync_bn=True):
    """SyncBN for DDP on GPUs (when ``sync_bn``), plain BN everywhere else.

    torch's DDP refuses SyncBN in CPU modules and a single process gains nothing
    from it, so a config written with ``norm_cfg=dict(type='SyncBN')`` still runs.
    """
    if info.distributed and info.device == 'cuda' and sync_bn:
        return nn.SyncBatchNorm.convert_sync_batchnorm(model)
    return revert_sync_batchnorm(model)


def wrap_model(model, info, find_unused_parameters=False):
    """Put the model on its device inside mmcv's (D)DP wrapper for ``info``."""
    if info.distributed:
        if info.device == 'cuda':
            return MMDistributedDataParallel(
                model.cuda(), device_ids=[info.local_rank], broadcast_buffers=False,
                find_unused_parameters=find_unused_parameters)
        return CPUDistributedDataParallel(
            model, broadcast_buffers=False, find_unused_parameters=find_unused_parameters)
    if info.device == 'cuda':
        return MMDataParallel(model.cuda(), device_ids=[torch.cuda.current_device()])
    return MMDataParallel(model)


def all_ranks_true(flag):
    """True when ``flag`` holds on every rank (just ``flag`` without a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return bool(flag)
    device = 'cuda' if dist.get_backend() == 'nccl' else 'cpu'
    value = torch.tensor([1 if flag else 0], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())


def is_distributed():
    """Whether this process is one of several in a process group (False without a
    group, or in a group of one)."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def gather_objects(obj):
    """``[obj of rank 0, obj of rank 1, ...]`` (``all_gather_object``; every rank
    must call); ``[obj]`` when :func:`is_distributed` is False."""
    if not is_distributed():
        return [obj]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def barrier():
    """Wait until every rank gets here; nothing when :func:`is_distributed` is
    False."""
    if is_distributed():
        dist.barrier()
