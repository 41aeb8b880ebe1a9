"""Seeding the global generators for one block of code, then giving them back.

mmcv/mmseg pipeline steps draw from ``random`` and ``numpy.random`` (module-level
state) and anything torch-based draws from torch's default CPU generator. Seeding
the three at the start of a block makes every draw inside it a function of that
seed alone; restoring them afterwards keeps the block invisible to whatever the
process draws around it (dropout, sampler, later blocks).
"""
import random
from contextlib import contextmanager

import numpy as np
import torch

#: seeds are reduced to this many bits: what ``numpy.random.SeedSequence`` and
#: ``torch.Generator.manual_seed`` both accept
SEED_BITS = 64


def derive_seed(*parts):
    """A well-mixed 64-bit seed from non-negative integers (e.g. seed, epoch, position).

    ``numpy.random.SeedSequence`` hashes its entropy, so neighbouring inputs (the
    positions 7 and 8 of an epoch) give unrelated generator streams.
    """
    words = np.random.SeedSequence([int(p) % 2**SEED_BITS for p in parts]
                                   ).generate_state(2, np.uint32)
    return int(words[0]) | int(words[1]) << 32


@contextmanager
def seeded_global_rng(seed, restore=True):
    """Seed ``random``, ``numpy.random`` and torch's default CPU generator with
    ``seed`` for the ``with`` block and (by default) restore their previous states
    after it.

    Only the CPU generator of torch is touched (``torch.manual_seed`` would also
    reseed every CUDA device of the calling process).

    Args:
        seed (int): a non-negative integer below ``2**64``.
        restore (bool): give the generators their previous states back. Saving and
            restoring numpy's state costs ~0.15 ms; a process whose every draw
            happens in such blocks (a data-loader worker) can skip it.
    """
    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state()) \
        if restore else None
    random.seed(seed)
    # numpy's legacy seeding takes at most 32 bits per word: give it both halves
    np.random.seed([seed & 0xFFFFFFFF, seed >> 32])
    torch.default_generator.manual_seed(seed)
    try:
        yield
    finally:
        if saved is not None:
            random.setstate(saved[0])
            np.random.set_state(saved[1])
            torch.set_rng_state(saved[2])
