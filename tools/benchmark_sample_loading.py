"""Cost of loading one training sample with and without per-sample seeding.

    python tools/benchmark_sample_loading.py [--rounds 9] [--images 24]

Generates a small toy source set in a temporary folder and loads every image through
the toy training pipeline (``configs/_base_/datasets/toy_source_512x256.py``) as the
plain dataset does (``dataset[i]``: the loading before per-sample seeding) and as the
training loader does now (the sampler derives the sample's seed, the pipeline runs
under it: ``SeededSamples(dataset)[SampleKey(i, seed)]``), the latter both as in the
training process (a loader without workers: the generators are restored after the
load) and as in a worker (not restored). A second case resizes to 1024x512 and crops
512x512, the sizes of the shipped Cityscapes configs.

All ways make the same draws, load each image back to back and run in one process
with one OpenCV and one torch thread; times are the process's CPU time, so that
other processes on a shared machine do not blur differences of a fraction of a ms.
The table gives the median and the mean time of a load; then the seeding alone
(seed derivation, seeding around an empty block), with and without the restore.
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import tempfile
import time

import cv2
import torch
from mmcv import Config
from mmseg.datasets import build_dataset

import mmseg_uvpt  # noqa: F401  (registers the datasets)
from mmseg_uvpt.runtime.seeded_samples import SampleKey, SeededSamples
from mmseg_uvpt.toy_benchmark.generate import generate_toy_data
from mmseg_uvpt.utils.seeded_rng import derive_seed, seeded_global_rng

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATASET_CONFIG = osp.join(REPO, 'configs/_base_/datasets/toy_source_512x256.py')
#: case name -> (Resize img_scale, crop size)
CASES = {'toy: 512x256, crop 256': ((512, 256), (256, 256)),
         'Cityscapes sizes: 1024x512, crop 512': ((1024, 512), (512, 512))}


def build_train_set(data_root, img_scale, crop_size):
    cfg = copy.deepcopy(Config.fromfile(DATASET_CONFIG).data.train)
    cfg.data_root = data_root
    for step in cfg.pipeline:
        if step.type == 'Resize':
            step.img_scale = img_scale
        elif step.type in ('RandomCrop', 'Pad'):
            step[{'RandomCrop': 'crop_size', 'Pad': 'size'}[step.type]] = crop_size
    return build_dataset(cfg)


def per_sample_ms(load, count):
    # CPU time of this process, not wall time: on a shared machine other processes
    # taking the cores would otherwise dominate the differences measured here
    start = time.process_time()
    for i in range(count):
        load(i)
    return 1e3 * (time.process_time() - start) / count


def measure(dataset, rounds, seed=0):
    """``{way: [ms of each load]}`` for the plain way and the seeded one, the latter
    as in the training process (generators restored after the load) and as in a
    data-loader worker (not restored).

    All ways make the same random draws: before a plain load the global generators
    are seeded (untimed) with the seed the seeded load uses, so the difference is
    the cost of the mechanism (seed derivation, seeding, restoring), not of other
    augmentations (which PhotoMetricDistortion steps run changes the work done).
    Each image is loaded every way back to back, the order rotating, since a later
    load of an image finds warmer caches.
    """
    seeded = SeededSamples(dataset)

    def plain(i, sample_seed):
        with seeded_global_rng(sample_seed):
            return per_sample_ms(lambda _: dataset[i], 1)

    def in_training_process(i, sample_seed):
        return per_sample_ms(lambda _: seeded[SampleKey(i, derive_seed(*sample_seed))], 1)

    def in_worker(i, sample_seed):
        def load(_):
            with seeded_global_rng(derive_seed(*sample_seed), restore=False):
                return dataset[i]
        return per_sample_ms(load, 1)

    ways = dict(plain=plain, training_process=in_training_process, worker=in_worker)
    times = {name: [] for name in ways}
    for epoch in range(rounds):
        for i in range(len(dataset)):
            names = list(ways)
            turn = (i + epoch) % len(names)
            for name in names[turn:] + names[:turn]:
                parts = (seed, epoch, i)
                arg = derive_seed(*parts) if name == 'plain' else parts
                times[name].append(ways[name](i, arg))
    return times


def after_pct(before, after):
    return f'{100 * (after - before) / before:+.1f} %'


def seeding_only_us(restore, repeats=2000):
    def once(i):
        with seeded_global_rng(derive_seed(0, 0, i), restore=restore):
            pass
    return 1e3 * statistics.median(per_sample_ms(once, repeats) for _ in range(5))


def main(argv=None):
    cv2.setNumThreads(1)  # the CPU time of a load is then its own work, not a pool's
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rounds', type=int, default=9)
    parser.add_argument('--images', type=int, default=24)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        generate_toy_data(tmp, seed=0, num_source=args.images, num_target_train=1,
                          num_target_val=1, convert=True)
        for name, (img_scale, crop_size) in CASES.items():
            dataset = build_train_set(osp.join(tmp, 'source'), img_scale, crop_size)
            times = measure(dataset, args.rounds)
            for stat in (statistics.median, statistics.mean):
                before = stat(times['plain'])
                rows.append((f'{name}, {stat.__name__}', before,
                             stat(times['training_process']), stat(times['worker'])))
    print(f'{"pipeline, statistic":<46}{"before ms":>10}'
          f'{"after ms: training process":>28}{"after ms: worker":>18}')
    for name, before, main_process, worker in rows:
        print(f'{name:<46}{before:>10.2f}{main_process:>14.2f} '
              f'({after_pct(before, main_process)}){worker:>10.2f} '
              f'({after_pct(before, worker)})')
    for where, restore in (('training process, restored after', True),
                           ('worker process, not restored', False)):
        print(f'seeding alone, {where}: {seeding_only_us(restore):.1f} us/sample')
    print(f'{args.images} images x {args.rounds} rounds, 1 torch thread, process CPU '
          'time; median and mean over all loads')


if __name__ == '__main__':
    sys.exit(main())
