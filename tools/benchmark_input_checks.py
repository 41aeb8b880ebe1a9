"""Cost of the readability check the stages run on every image and label before the
long work (``mmseg_uvpt.datasets.validation.check_sample_readable``).

    python tools/benchmark_input_checks.py [--images 200] [--size 2048x1024]
        [--rounds 3] [--folder DIR]

Writes ``--images`` Cityscapes-sized samples (an RGB PNG of smooth content plus
noise, about the size of a Cityscapes photo, and a blocky uint8 train-id PNG) into a
temporary folder, or reads the ``*.png`` pairs of ``--folder``, and times per sample:

* the check the stages run: both files' headers and sizes (PIL ``Image.open``), and
  for a PNG its last 12 bytes (the IEND chunk);
* the header alone, for comparison;
* PIL's ``verify()`` (reads the whole file and checks every chunk's CRC);
* a full decode of both files (what the first few samples get).

Each way is timed with warm caches (the files just read) and cold ones (each file's
pages dropped with ``posix_fadvise(DONTNEED)`` first, so the reads go to the disk;
the kernel may ignore the hint on some file systems). Times are wall-clock medians
over ``--rounds`` passes over all samples, in ms per sample (= s per 1000 samples).
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import numpy as np
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from mmseg_uvpt.datasets.image_io import read_image_size  # noqa: E402
from mmseg_uvpt.utils.atomic_write import write_png_atomic  # noqa: E402
from mmseg_uvpt.datasets.validation import (check_sample_files,  # noqa: E402
                                            check_sample_readable)

LABEL_SUFFIX = '_labelTrainIds.png'


def write_samples(folder, count, width, height, seed=0):
    """``count`` (image, label) PNG pairs of ``width`` x ``height``; returns them."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    pairs = []
    for i in range(count):
        # smooth gradients and a little noise: a PNG near the size of a Cityscapes
        # photo (2.8 MB at 2048x1024 against their 2.2 MB), unlike pure noise (6 MB)
        base = (xs * (1 + i % 3) // 8 + ys // 4)[..., None] + np.array([0, 40, 80])
        image = (base + rng.integers(0, 8, (height, width, 3))) % 256
        label = np.kron(rng.integers(0, 19, (height // 64, width // 64)),
                        np.ones((64, 64), np.int64))
        stem = osp.join(folder, f'sample_{i:04d}')
        write_png_atomic(stem + '.png', image.astype(np.uint8))
        write_png_atomic(stem + LABEL_SUFFIX, label.astype(np.uint8))
        pairs.append((stem + '.png', stem + LABEL_SUFFIX))
    for path in (p for pair in pairs for p in pair):
        with open(path, 'rb+') as f:
            os.fsync(f.fileno())  # dirty pages cannot be dropped for the cold runs
    return pairs


def folder_samples(folder):
    """The (image, label) pairs of a folder written by :func:`write_samples`."""
    images = sorted(f for f in os.listdir(folder)
                    if f.endswith('.png') and not f.endswith(LABEL_SUFFIX))
    return [(osp.join(folder, f), osp.join(folder, f[:-4] + LABEL_SUFFIX))
            for f in images]


def drop_cache(paths):
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def header_only(img_path, label_path):
    for path in (img_path, label_path):
        with Image.open(path) as img:
            img.size  # noqa: B018  (what Image.open parses from the header)


def pil_verify(img_path, label_path):
    for path in (img_path, label_path):
        with Image.open(path) as img:
            img.verify()


def full_decode(img_path, label_path):
    check_sample_files(img_path, label_path)


#: name -> check of one (image, label) pair
WAYS = {
    'the check (header + PNG end)': check_sample_readable,
    'header only (Image.open)': header_only,
    'PIL verify() (reads all, CRCs)': pil_verify,
    'full decode (mmcv + PIL)': full_decode,
}


def time_way(check, pairs, rounds, cold):
    """Median over ``rounds`` of the seconds one pass over ``pairs`` takes."""
    files = [p for pair in pairs for p in pair]
    times = []
    for _ in range(rounds):
        if cold:
            drop_cache(files)
        else:
            for pair in pairs:  # warm: every file read once before timing
                check(*pair)
        start = time.perf_counter()
        for pair in pairs:
            check(*pair)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=200)
    parser.add_argument('--size', default='2048x1024', help='WxH of generated images')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--folder', help='time these pairs instead of writing some')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.folder:
            pairs = folder_samples(args.folder)
        else:
            width, height = (int(v) for v in args.size.split('x'))
            start = time.perf_counter()
            pairs = write_samples(tmp, args.images, width, height)
            print(f'wrote {len(pairs)} samples in {time.perf_counter() - start:.0f} s')
        size_mb = statistics.mean(osp.getsize(p) for p, _ in pairs) / 2**20
        width, height = read_image_size(pairs[0][0])
        print(f'{len(pairs)} samples: {width}x{height} images of {size_mb:.1f} MB on '
              f'average, with their labels; {os.cpu_count()} CPUs\n')
        # ms per sample is s per 1000 samples
        print(f'| {"check of an image and its label":32} | cache | '
              f'ms/sample = s/1000 samples |')
        print(f'|{"-" * 34}|-------|----------------------------|')
        for name, check in WAYS.items():
            for cold in (False, True):
                seconds = time_way(check, pairs, args.rounds, cold) / len(pairs)
                print(f'| {name:32} | {"cold" if cold else "warm":5} | '
                      f'{seconds * 1e3:26.3f} |')


if __name__ == '__main__':
    main()
