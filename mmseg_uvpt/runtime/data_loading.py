"""Data loaders of the training runtime.

Compared with mmseg's ``build_dataloader``:

- ``persistent_workers`` only when there are workers (torch refuses it otherwise);
- the training order is a function of (seed, epoch) alone, also without DDP, and a
  loader can resume in the middle of an epoch, so a resumed run sees the same batches
  as an uninterrupted one;
- every loader draws its workers' base seed from its own generator, so creating an
  iterator (each epoch, each evaluation) leaves the global torch RNG untouched;
- a training sample's random augmentation is a function of (seed, epoch, position of
  the sample in the epoch) alone: the sampler derives a seed per sample and
  :class:`SeededSamples` runs the sample's whole pipeline under it. Which worker
  loads the sample, how many there are, whether they persist across epochs and
  whether the run was resumed part-way then change nothing.
"""
from collections.abc import Mapping
from functools import partial

import torch
from mmcv.parallel import collate
from mmseg.datasets.builder import worker_init_fn
from mmseg.datasets.samplers import DistributedSampler
from torch.utils.data import DataLoader

from ..utils.seeded_rng import derive_seed
from .seeded_samples import SampleKey, SeededSamples

#: loader keys of ``cfg.data`` (the rest are datasets or per-split overrides)
_SPLIT_KEYS = ('train', 'val', 'test', 'train_dataloader', 'val_dataloader',
               'test_dataloader')


class ResumableSampler(DistributedSampler):
    """mmseg's seeded, epoch-wise sampler that can start an epoch part-way and
    gives every sample a seed of its own.

    It yields :class:`SampleKey` ``(index, seed)``; the seed is derived from
    ``(seed, epoch, position)``, the position counted in the epoch's order over all
    ranks, so a sample's seed does not depend on where the epoch was started or on
    the process that loads it. With ``num_replicas=1`` it also serves
    single-process runs.

    Args:
        dataset (Dataset): the dataset.
        num_replicas (int): number of processes.
        rank (int): this process's rank.
        shuffle (bool): shuffle with ``seed + epoch``.
        seed (int): the shuffling seed, identical on all ranks.
    """

    def __init__(self, dataset, num_replicas=1, rank=0, shuffle=True, seed=0):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank,
                         shuffle=shuffle, seed=seed)
        self._skip = 0

    def skip_next(self, num_samples):
        """Leave out the first ``num_samples`` indices of the next epoch only."""
        self._skip = int(num_samples)

    def __iter__(self):
        indices = list(super().__iter__())
        skip, self._skip = self._skip, 0
        seed, epoch, rank, ranks = self.seed, self.epoch, self.rank, self.num_replicas
        # mmseg gives rank r the positions r, r + R, r + 2R... of the epoch's order
        return (SampleKey(index, derive_seed(seed, epoch, rank + k * ranks))
                for k, index in enumerate(indices[skip:], start=skip))


def _is_dataset(value):
    return isinstance(value, Mapping) and 'type' in value


def loader_settings(data_cfg, split):
    """mmseg's rule: shared keys of ``cfg.data``, then one image a batch in order for
    evaluation splits, then the split's own ``<split>_dataloader`` keys. Datasets
    beyond the three splits (a pseudo-label config's ``data.pseudo_label``) are not
    loader keys either: mmseg's own rule hands them to the ``DataLoader``."""
    settings = {k: v for k, v in data_cfg.items()
                if k not in _SPLIT_KEYS and not _is_dataset(v)}
    if split != 'train':
        settings.update(samples_per_gpu=1, shuffle=False)
    settings.update(data_cfg.get(f'{split}_dataloader', {}))
    return settings


def build_loader(dataset, settings, info, seed=None, train=True):
    """One process's loader.

    Args:
        dataset (Dataset): the dataset.
        settings (dict): ``samples_per_gpu``, ``workers_per_gpu`` and optional
            ``shuffle``, ``drop_last``, ``pin_memory``, ``persistent_workers`` and
            further :class:`DataLoader` kwargs.
        info (DistInfo): this process.
        seed (int | None): the run seed (sampler order and worker seeds).
        train (bool): a training loader (resumable, shuffled, drops the last
            incomplete batch) or an evaluation loader (in order, one image a batch
            unless ``settings`` say otherwise).
    """
    settings = dict(settings)
    samples = settings.pop('samples_per_gpu', 1)
    workers = settings.pop('workers_per_gpu', 0)
    shuffle = settings.pop('shuffle', train)
    drop_last = settings.pop('drop_last', train)
    pin_memory = settings.pop('pin_memory', info.device == 'cuda')
    persistent = settings.pop('persistent_workers', True) and workers > 0
    generator = torch.Generator()
    generator.manual_seed(0 if seed is None else seed)
    if train:
        sampler = ResumableSampler(dataset, info.world_size, info.rank, shuffle,
                                   0 if seed is None else seed)
        dataset = SeededSamples(dataset)
    elif info.distributed:
        sampler = DistributedSampler(dataset, info.world_size, info.rank, shuffle=False)
    else:
        sampler = None
    init_fn = None if seed is None else partial(
        worker_init_fn, num_workers=workers, rank=info.rank, seed=seed)
    return DataLoader(
        dataset, batch_size=samples, sampler=sampler,
        shuffle=shuffle if sampler is None else False, num_workers=workers,
        collate_fn=partial(collate, samples_per_gpu=samples), pin_memory=pin_memory,
        worker_init_fn=init_fn, drop_last=drop_last, persistent_workers=persistent,
        generator=generator, **settings)


class ResumableIterLoader:
    """Endless iterator over a training loader that knows its position.

    Like mmcv's ``IterLoader`` (same ``epoch`` attribute and epoch bump), without its
    2 s sleep at every epoch end when there are no workers to deadlock, and with
    :meth:`state_dict`/:meth:`load_state_dict` for resuming part-way.

    Args:
        dataloader (DataLoader): a loader from :func:`build_loader` (``train=True``).
    """

    def __init__(self, dataloader):
        self._dataloader = dataloader
        self._epoch = 0
        self._consumed = 0
        self._iterator = None

    @property
    def epoch(self):
        return self._epoch

    def __len__(self):
        return len(self._dataloader)

    def __next__(self):
        if self._iterator is None:
            self._start_epoch()
        try:
            batch = next(self._iterator)
        except StopIteration:
            self._epoch += 1
            self._consumed = 0
            self._start_epoch()
            batch = next(self._iterator)
        self._consumed += 1
        return batch

    def _start_epoch(self):
        sampler = self._dataloader.sampler
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch)
        if self._consumed and hasattr(sampler, 'skip_next'):
            sampler.skip_next(self._consumed * self._dataloader.batch_size)
        self._iterator = iter(self._dataloader)

    def state_dict(self):
        sampler = self._dataloader.sampler
        return dict(epoch=self._epoch, consumed_batches=self._consumed,
                    sampler_seed=int(getattr(sampler, 'seed', 0)))

    def load_state_dict(self, state):
        """Continue after ``consumed_batches`` batches of epoch ``epoch``."""
        self._epoch = int(state['epoch'])
        self._consumed = int(state['consumed_batches'])
        sampler = self._dataloader.sampler
        if hasattr(sampler, 'seed'):
            sampler.seed = int(state['sampler_seed'])
        self._iterator = None
