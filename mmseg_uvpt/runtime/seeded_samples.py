"""Training samples whose random augmentation is a function of a per-sample seed.

A data-loader worker's generators otherwise carry state from one sample to the next,
so the crop, flip and colour draws of a sample depend on which worker loaded it and
on what that worker loaded before: a run resumed in the middle of an epoch, or run
with another number of workers, sees other augmentations. Here the sampler hands the
dataset a :class:`SampleKey` (the index and a seed of its own), and the whole
pipeline of that sample runs with the global generators seeded from it.
"""
from typing import NamedTuple

from torch.utils.data import Dataset, get_worker_info

from ..utils.seeded_rng import derive_seed, seeded_global_rng


class SampleKey(NamedTuple):
    """What a seeding sampler yields instead of a bare index.

    Args:
        index (int): the dataset index.
        seed (int): the seed of every random draw made while loading it.
    """
    index: int
    seed: int


def own_generator_steps(dataset):
    """Pipeline steps that keep a generator of their own (``set_random_seed``).

    Albumentations 2.x transforms and ``Compose`` draw from per-object generators,
    not from ``random``/``numpy.random``, so seeding the global generators does not
    reach them; they are found here (through mmseg's ``Compose.transforms``, nested
    ``transforms`` and the dataset wrappers' ``dataset``/``datasets``) and seeded
    one by one.
    """
    found, seen = [], set()

    def visit(obj):
        if obj is None or id(obj) in seen:
            return
        seen.add(id(obj))
        if callable(getattr(obj, 'set_random_seed', None)):
            found.append(obj)
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item)
            return
        for name in ('pipeline', 'transforms', 'dataset', 'datasets'):
            child = getattr(obj, name, None)
            if child is not None and not isinstance(child, (str, dict)):
                visit(child)

    visit(dataset)
    return found


class SeededSamples(Dataset):
    """A dataset that loads ``dataset[key.index]`` under ``key.seed``.

    Inside the load, ``random``, ``numpy.random`` and torch's CPU generator are
    seeded with the key's seed, and every pipeline step with a generator of its
    own gets a seed derived from it. In the training process (a loader without
    workers) the generators are restored afterwards, so that its own draws and its
    checkpointed RNG state are those of a run with workers; a worker process draws
    nothing outside these blocks and skips the restore (which costs more than the
    seeding). Plain integer indices load unseeded, as from the wrapped dataset.
    Other attributes (``CLASSES``, ``PALETTE``, ``img_infos``...) are the wrapped
    dataset's.

    Args:
        dataset (Dataset): the training set.
    """

    def __init__(self, dataset):
        self.dataset = dataset
        self._own_generators = own_generator_steps(dataset)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, key):
        if not isinstance(key, SampleKey):
            return self.dataset[key]
        with seeded_global_rng(key.seed, restore=get_worker_info() is None):
            for number, step in enumerate(self._own_generators):
                # albumentations seeds numpy and python generators from this int
                step.set_random_seed(derive_seed(key.seed, number) % 2**32)
            return self.dataset[key.index]

    def __getattr__(self, name):
        # only called for names this wrapper lacks; never for dunders (pickle and
        # copy probe those on a half-built object, before ``dataset`` exists)
        if name.startswith('__') or name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)
