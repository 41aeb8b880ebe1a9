"""Shared logic of ``tools/convert_datasets/{gta,cityscapes,synthia}.py``.

Each converter lists (raw label, trainId output, image) triples for its layout,
maps raw ids to Cityscapes train ids with a look-up table, writes
``*_labelTrainIds.png`` next to the raw labels and a class-statistics JSON
(:data:`STATS_FILENAME`) in the dataset root. Finished outputs are skipped, every
write is atomic, and bad inputs (unreadable files, label/image size mismatches)
are collected and reported at the end instead of stopping the run.

Stats JSON format::

    {"num_classes": 19, "ignore_index": 255,
     "summary": {"labels": N, "converted": n, "skipped": n, "failed": n},
     "stats": [{"file": "labels/00001_labelTrainIds.png", "0": 51234, "13": 812},
               ...],        # one entry per written label, classes with >0 pixels
     "problems": [{"label": "labels/00042.png", "image": "images/00042.png",
                   "problem": "size_mismatch", "detail": "..."}, ...]}

``stats`` entries follow DAFormer's ``sample_class_stats.json``; all paths are
relative to the dataset root.
"""
import argparse
import functools
import glob
import os
import os.path as osp
from collections import namedtuple

import cv2
import mmcv
import numpy as np

from ..utils.atomic_write import write_json_atomic, write_png_atomic
from .image_io import read_image_size, read_label_array
from .label_ids import IGNORE_INDEX

STATS_FILENAME = 'sample_class_stats.json'
TRAIN_ID_SUFFIX = '_labelTrainIds.png'
NUM_CLASSES = 19

LabelJob = namedtuple('LabelJob', ['label', 'output', 'image'])
LabelJob.__doc__ = """One label to convert: absolute paths of the raw label, the
trainId PNG to write, and the matching image (None: no size check)."""


# ---------------------------------------------------------------- readers
def read_cityscapes_ids(path):
    """Raw ids of a Cityscapes/GTA label PNG (8-bit grey or palette indices)."""
    return read_label_array(path)


def read_synthia_ids(path):
    """SYNTHIA class ids: the first channel of a 16-bit 3-channel PNG.

    PIL cannot decode 16-bit RGB PNGs, so OpenCV is used; it returns BGR, hence
    the file's first (R) channel is index 2.
    """
    array = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ValueError(f'cannot read SYNTHIA label file {path}')
    return array[..., 2] if array.ndim == 3 else array


# ---------------------------------------------------------------- layouts
def _require_dir(path, what):
    if not osp.isdir(path):
        raise FileNotFoundError(f'{what} folder not found: {path}')


def _require_jobs(jobs, pattern):
    if not jobs:
        raise FileNotFoundError(f'no raw label files match {pattern}')
    return jobs


def _flat_layout_jobs(root, label_dir, image_dir):
    """Jobs for a flat label folder whose names match the image folder's
    (GTA: labels/ + images/, SYNTHIA: GT/LABELS/ + RGB/)."""
    label_root = osp.join(root, label_dir)
    _require_dir(label_root, 'label')
    names = sorted(
        name for name in os.listdir(label_root)
        # never re-convert our own outputs (they live in the same folder)
        if name.endswith('.png') and not name.endswith(TRAIN_ID_SUFFIX))
    jobs = [
        LabelJob(
            label=osp.join(label_root, name),
            output=osp.join(label_root, name[:-len('.png')] + TRAIN_ID_SUFFIX),
            image=osp.join(root, image_dir, name)) for name in names
    ]
    return _require_jobs(jobs, osp.join(label_root, '*.png'))


def gta_jobs(root):
    """GTA5: ``root/labels/*.png`` (Cityscapes ids), images in ``root/images``."""
    return _flat_layout_jobs(root, 'labels', 'images')


def synthia_jobs(root):
    """SYNTHIA-RAND-CITYSCAPES: ``root/GT/LABELS/*.png``, images in ``root/RGB``."""
    return _flat_layout_jobs(root, osp.join('GT', 'LABELS'), 'RGB')


def cityscapes_jobs(root):
    """Cityscapes: ``root/gtFine/<split>/<city>/*_gtFine_labelIds.png``, images
    in ``root/leftImg8bit/<split>/<city>/*_leftImg8bit.png``."""
    _require_dir(osp.join(root, 'gtFine'), 'gtFine')
    pattern = osp.join(root, 'gtFine', '*', '*', '*_gtFine_labelIds.png')
    jobs = []
    for label in sorted(glob.glob(pattern)):
        prefix = label[:-len('_gtFine_labelIds.png')]
        split_city = osp.relpath(osp.dirname(label), osp.join(root, 'gtFine'))
        image = osp.join(root, 'leftImg8bit', split_city,
                         osp.basename(prefix) + '_leftImg8bit.png')
        jobs.append(
            LabelJob(label, prefix + '_gtFine_labelTrainIds.png', image))
    return _require_jobs(jobs, pattern)


# ---------------------------------------------------------------- conversion
def build_lut(id_to_train_id, size=65536):
    """uint8 look-up table raw id -> train id; unknown ids map to 255."""
    lut = np.full(size, IGNORE_INDEX, dtype=np.uint8)
    for raw_id, train_id in id_to_train_id.items():
        lut[raw_id] = train_id
    return lut


def class_pixel_counts(train_ids):
    """{'<train id>': pixel count} for the classes present (255 left out)."""
    counts = np.bincount(train_ids.ravel(), minlength=256)
    return {str(c): int(counts[c]) for c in np.flatnonzero(counts[:IGNORE_INDEX])}


def _problem(job, kind, detail):
    return dict(label=job.label, image=job.image, problem=kind, detail=detail)


def _size_problem(job, label_hw):
    """A problem dict when the image is missing, unreadable or of another size."""
    if job.image is None:
        return None
    try:
        width, height = read_image_size(job.image)
    except FileNotFoundError as err:
        return _problem(job, 'missing_image', str(err))
    except ValueError as err:
        return _problem(job, 'unreadable_image', str(err))
    if (height, width) != tuple(label_hw):
        return _problem(
            job, 'size_mismatch',
            f'label is {label_hw[1]}x{label_hw[0]} but image is '
            f'{width}x{height} (WxH)')
    return None


def convert_label(job, lut, reader):
    """Convert one label (or reuse a finished output) and check its image.

    Returns:
        dict: ``status`` ('converted' | 'skipped' | 'failed'), ``output``,
        ``counts`` (class pixel counts, None when failed) and ``problem``
        (None or a dict naming the label, the image and what is wrong).
    """
    result = dict(output=job.output, counts=None, problem=None)
    train_ids = None
    if osp.exists(job.output):
        try:
            train_ids = read_label_array(job.output)
            result['status'] = 'skipped'
        except ValueError:
            train_ids = None  # damaged by something else: convert again
    if train_ids is None:
        try:
            raw_ids = reader(job.label)
        except Exception as err:  # report any unreadable input, never crash
            result.update(status='failed',
                          problem=_problem(job, 'unreadable_label', str(err)))
            return result
        train_ids = lut[raw_ids]
        write_png_atomic(job.output, train_ids)
        result['status'] = 'converted'
    result['counts'] = class_pixel_counts(train_ids)
    result['problem'] = _size_problem(job, train_ids.shape)
    return result


def _relative(root, path):
    return None if path is None else osp.relpath(path, root)


def summarise(root, results):
    """The stats-JSON dict (paths relative to ``root``) of the results."""
    stats, problems = [], []
    summary = dict(labels=len(results), converted=0, skipped=0, failed=0)
    for res in sorted(results, key=lambda r: r['output']):
        summary[res['status']] += 1
        if res['counts'] is not None:
            stats.append(dict(file=_relative(root, res['output']),
                              **res['counts']))
        if res['problem'] is not None:
            prob = dict(res['problem'])
            prob['label'] = _relative(root, prob['label'])
            prob['image'] = _relative(root, prob['image'])
            problems.append(prob)
    return dict(num_classes=NUM_CLASSES, ignore_index=IGNORE_INDEX,
                summary=summary, stats=stats, problems=problems)


def run_conversion(root, jobs, id_to_train_id, reader, nproc=1):
    """Convert all jobs with ``nproc`` processes and write the stats JSON.

    Returns:
        dict: the content written to ``root/sample_class_stats.json``.
    """
    func = functools.partial(
        convert_label, lut=build_lut(id_to_train_id), reader=reader)
    if nproc > 1:
        results = mmcv.track_parallel_progress(
            func, jobs, nproc, chunksize=max(1, min(16, len(jobs) // nproc)))
    else:
        results = mmcv.track_progress(func, jobs)
    report = summarise(root, results)
    write_json_atomic(osp.join(root, STATS_FILENAME), report)
    return report


def load_problem_images(root):
    """Absolute image paths that the converter reported as problems in
    ``root/sample_class_stats.json`` (empty set when there is no such file)."""
    path = osp.join(root, STATS_FILENAME)
    if not osp.isfile(path):
        return set()
    problems = mmcv.load(path).get('problems', [])
    return {
        osp.normpath(osp.join(root, p['image']))
        for p in problems if p.get('image')
    }


# ---------------------------------------------------------------- CLI
def converter_main(argv, description, list_jobs, id_to_train_id, reader):
    """Command line shared by the converters: ``DIR [--nproc N]``.

    Returns the process exit code: 0, or 1 when some labels could not be read.
    """
    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', metavar='DIR', help='dataset root folder')
    parser.add_argument('--nproc', type=int, default=1,
                        help='number of worker processes (default 1)')
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error('--nproc must be >= 1')
    try:
        jobs = list_jobs(args.root)
    except FileNotFoundError as err:
        parser.exit(2, f'error: {err}\n')
    report = run_conversion(args.root, jobs, id_to_train_id, reader,
                            args.nproc)
    summary = report['summary']
    print(f"\n{summary['labels']} labels: {summary['converted']} converted, "
          f"{summary['skipped']} already done, {summary['failed']} failed. "
          f'Class statistics: {osp.join(args.root, STATS_FILENAME)}')
    if report['problems']:
        print(f"{len(report['problems'])} problem(s) (the dataset classes skip "
              'these images):')
        for prob in report['problems']:
            print(f"  {prob['problem']}: {prob['label']}: {prob['detail']}")
    return 1 if summary['failed'] else 0
