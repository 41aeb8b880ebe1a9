"""Random-number-generator states in a form that checkpoints can hold.

Checkpoints load with ``weights_only=True``, which refuses numpy arrays, so the numpy
state is kept as a tensor. Restoring python, numpy, torch and CUDA states lets a
resumed run draw the same augmentations and dropout masks as an uninterrupted one.
"""
import random
import warnings

import numpy as np
import torch
import torch.distributed as dist


def get_rng_state():
    """The python, numpy, torch and CUDA generator states of this process."""
    kind, keys, pos, has_gauss, cached_gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(kind=kind, keys=torch.from_numpy(keys.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), cached_gaussian=float(cached_gauss)),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    """Restore a state from :func:`get_rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np_state = state['numpy']
    np.random.set_state((np_state['kind'], np_state['keys'].numpy().astype(np.uint32),
                         np_state['pos'], np_state['has_gauss'],
                         np_state['cached_gaussian']))
    torch.set_rng_state(state['torch'].cpu())
    cuda_states = state.get('cuda')
    if torch.cuda.is_available():
        if cuda_states is not None and len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
        else:
            warnings.warn('the checkpoint holds no CUDA generator state for this '
                          'machine; CUDA random draws will differ from the saved run')


def entry_of_this_rank(entries, what, logger=None):
    """This rank's entry of a :func:`gather_objects` list saved by an earlier run.

    A run resumed with another number of processes gets rank 0's entry, which is
    said in the log (``what`` names the entries there).
    """
    rank, world = 0, 1
    if dist.is_available() and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    if len(entries) != world:
        message = (f'the checkpoint holds {what} of {len(entries)} processes and this '
                   f'run has {world}; every rank starts from rank 0\'s')
        if logger is not None:
            logger.warning(message)
        else:
            warnings.warn(message)
        rank = 0
    return entries[rank]


def restore_rank_rng_state(states, logger=None):
    """Restore this rank's entry of a list of every rank's RNG states (saved by an
    earlier run).

    A run resumed with another number of processes gets rank 0's state (its random
    draws then differ from the saved run's, which is said in the log).
    """
    set_rng_state(entry_of_this_rank(states, 'RNG states', logger))
