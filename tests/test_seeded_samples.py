"""Per-sample seeding of the training data: every random draw made while loading a
sample is a function of (seed, epoch, position in the epoch), whoever loads it."""
import random

import albumentations as A
import numpy as np
import pytest
import torch
from mmseg.datasets.pipelines import Compose
from torch.utils.data import Dataset

import mmseg_uvpt  # noqa: F401
from mmseg_uvpt.runtime import ResumableIterLoader, ResumableSampler, build_loader
from mmseg_uvpt.runtime.seeded_samples import (SampleKey, SeededSamples,
                                               own_generator_steps)
from mmseg_uvpt.utils.distributed import DistInfo
from mmseg_uvpt.utils.seeded_rng import derive_seed, seeded_global_rng

# workers_per_gpu 0 loads in the training process; 2 with and without persistence
LOADERS = {'no-workers': dict(workers_per_gpu=0),
           '2-workers': dict(workers_per_gpu=2, persistent_workers=False),
           '2-persistent-workers': dict(workers_per_gpu=2, persistent_workers=True)}


class DrawSet(Dataset):
    """Sample i = (i, a numpy draw, a python draw, a torch draw)."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        return torch.tensor([index, np.random.randint(2**31), random.randrange(2**31),
                             int(torch.randint(2**31, ()))])


def _draws(loader_settings, batches, seed=5, state=None):
    settings = dict(samples_per_gpu=2, **loader_settings)
    loader = ResumableIterLoader(build_loader(DrawSet(), settings, DistInfo(), seed=seed))
    if state is not None:
        loader.load_state_dict(state)
    return [next(loader) for _ in range(batches)], loader


def test_derived_seeds_are_deterministic_and_distinct():
    assert derive_seed(3, 1, 7) == derive_seed(3, 1, 7)
    seeds = {derive_seed(s, e, p) for s in (0, 1) for e in range(3) for p in range(50)}
    assert len(seeds) == 2 * 3 * 50
    assert all(0 <= s < 2**64 for s in seeds)


def test_seeded_block_draws_from_the_seed_and_hides_from_the_caller():
    seed = 2**40 + 123  # above 32 bits: numpy gets both halves
    expected_np = np.random.RandomState([seed & 0xFFFFFFFF, seed >> 32]).rand(3)
    expected_py = random.Random(seed).random()
    expected_torch = torch.rand(2, generator=torch.Generator().manual_seed(seed))

    np.random.seed(1), random.seed(1), torch.manual_seed(1)
    unbroken = np.random.rand(2), [random.random() for _ in range(2)], torch.rand(2)
    np.random.seed(1), random.seed(1), torch.manual_seed(1)
    np.random.rand(1), random.random(), torch.rand(1)  # the first draws, as above
    with seeded_global_rng(seed):
        np.testing.assert_array_equal(np.random.rand(3), expected_np)
        assert random.random() == expected_py
        assert torch.equal(torch.rand(2), expected_torch)
    # the caller's generators go on as if the block had not run
    assert np.random.rand(1)[0] == unbroken[0][1]
    assert random.random() == unbroken[1][1]
    assert torch.equal(torch.rand(1), unbroken[2][1:])


def test_sampler_keys_do_not_depend_on_skips_or_on_the_number_of_ranks():
    single = ResumableSampler(DrawSet(), num_replicas=1, rank=0, seed=4)
    single.set_epoch(2)
    keys = list(single)
    assert sorted(k.index for k in keys) == list(range(6))
    assert [k.seed for k in keys] == [derive_seed(4, 2, p) for p in range(6)]
    single.skip_next(4)
    assert list(single) == keys[4:]
    assert list(single) == keys  # the skip holds for one epoch only
    ranks = [ResumableSampler(DrawSet(), num_replicas=2, rank=r, seed=4) for r in (0, 1)]
    for sampler in ranks:
        sampler.set_epoch(2)
    assert list(ranks[0]) == keys[0::2] and list(ranks[1]) == keys[1::2]


def test_keys_load_seeded_samples_and_plain_indices_load_plainly():
    samples = SeededSamples(DrawSet())
    key = SampleKey(3, 77)
    first = samples[key]
    np.random.rand(5), random.random(), torch.rand(5)  # whatever came before
    assert torch.equal(samples[key], first)
    assert first[0] == 3
    assert not torch.equal(samples[SampleKey(3, 78)], first)
    assert samples[3][0] == 3 and len(samples) == 6


@pytest.mark.parametrize('settings', LOADERS.values(), ids=LOADERS.keys())
def test_stream_is_the_same_for_any_workers_and_after_a_mid_epoch_resume(settings):
    # 6 samples, batch 2: 3 batches an epoch; 8 batches cross two epoch starts
    reference, _ = _draws(LOADERS['no-workers'], 8)
    stream, _ = _draws(settings, 8)
    for a, b in zip(reference, stream):
        assert torch.equal(a, b)
    draws = torch.cat(reference)[:, 1:]
    assert len(set(draws[:, 0].tolist())) == 8 * 2, 'a sample repeats another\'s draws'
    _, first = _draws(settings, 4)  # the kill: after 1 batch of epoch 1
    state = first.state_dict()
    assert state == dict(epoch=1, consumed_batches=1, sampler_seed=5)
    resumed, _ = _draws(settings, 4, seed=0, state=state)
    for a, b in zip(reference[4:], resumed):
        assert torch.equal(a, b)


def test_loading_in_the_training_process_leaves_its_generators_alone():
    np.random.seed(0), random.seed(0), torch.manual_seed(0)
    expected = np.random.rand(), random.random(), torch.rand(1)
    np.random.seed(0), random.seed(0), torch.manual_seed(0)
    _draws(LOADERS['no-workers'], 4)
    assert (np.random.rand(), random.random()) == expected[:2]
    assert torch.equal(torch.rand(1), expected[2])


class AlbuStep:
    """A pipeline step running an albumentations transform on ``results['img']``
    (albumentations 2.x draws from the transform's own generators)."""

    def __init__(self):
        self.transform = A.Compose([A.RandomBrightnessContrast(p=1.0),
                                    A.GaussNoise(p=1.0)])

    def set_random_seed(self, seed):
        self.transform.set_random_seed(seed)

    def __call__(self, results):
        results['img'] = self.transform(image=results['img'])['image']
        return results


class AlbuSet(Dataset):

    def __init__(self):
        self.pipeline = Compose([AlbuStep()])

    def __len__(self):
        return 2

    def __getitem__(self, index):
        img = np.full((8, 8, 3), 100 + index, np.uint8)
        return self.pipeline(dict(img=img))['img']


def test_steps_with_their_own_generator_are_seeded_per_sample():
    # two copies (as in two workers), each albumentations object seeded from the OS
    one, two = AlbuSet(), AlbuSet()
    assert own_generator_steps(one) == [one.pipeline.transforms[0]]
    np.random.seed(0)
    unseeded = one[1]
    np.random.seed(0)
    assert not np.array_equal(two[1], unseeded), \
        'albumentations follows numpy.random: the check below would prove nothing'
    key = SampleKey(1, 99)
    a = SeededSamples(one)[key]
    b = SeededSamples(two)[key]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(SeededSamples(one)[SampleKey(1, 98)], a)
