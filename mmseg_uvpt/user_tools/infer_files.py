"""``tools/infer.py``: run a trained model on one's own images, folders and videos.

    python tools/infer.py CONFIG CHECKPOINT INPUT... --out DIR [--raw] [--scale S]
        [--batch-size N] [--amp bf16] [--device cuda:0] [--source-checkpoint SRC]

Writes, for an image ``REL`` (its name, or its path inside a given folder):

    DIR/color/REL.png     the prediction in the class palette
    DIR/overlay/REL.png   the palette blended over the image (--opacity)
    DIR/labels/REL.png    uint8 train ids (--raw)

and for a video ``NAME.ext`` the overlay video ``DIR/video/NAME.mp4`` (MPEG-4 part
2, ``mp4v``; Motion-JPEG ``.avi`` where OpenCV cannot write that) and, with
``--raw``, ``DIR/labels/NAME/frame_000000.png``... Images of one size go through the
model together, up to ``--batch-size``.

An input that cannot be read (checked before the model is built: header, and a PNG is
whole; or failing later) is skipped with one warning line naming it; the rest are
labelled, and the summary line counts both. ``--strict`` stops at the first instead.
"""
import argparse
import os
import os.path as osp
import sys
from collections import namedtuple

import cv2
import mmcv
import numpy as np
import torch
from tqdm import tqdm

from ..datasets.image_io import read_image, read_image_size
from ..utils.cli_errors import PARTIAL_STATUS, add_debug_arg
from ..utils.config_checks import ConfigError, check_file
from ..utils.data_errors import DataFileError
from ..apis.run_setup import cli_argv, load_config
from .adapted_model import init_adapted_segmentor, predict, set_test_scale

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg', '.mpeg')
#: (fourcc, suffix) tried in turn for the overlay video
VIDEO_CODECS = (('mp4v', '.mp4'), ('MJPG', '.avi'))
AMP_DTYPES = {'none': None, 'bf16': torch.bfloat16}
DEFAULT_FPS = 25.0

#: one image to label: where it comes from and its output name (no suffix)
ImageJob = namedtuple('ImageJob', 'path rel')


def build_infer_parser():
    parser = argparse.ArgumentParser(
        description='segment your own images, image folders and videos')
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='full or prompt-only checkpoint')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image files, folders of images (searched recursively) '
                             'or video files')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--source-checkpoint',
                        help='source checkpoint of a prompt-only checkpoint, if not at '
                             'its recorded path')
    parser.add_argument('--raw', action='store_true',
                        help='also write uint8 train-id PNGs')
    parser.add_argument('--scale', default=None,
                        help="inference size: the image's own (default), a ratio "
                             '(0.5) or WxH to fit keeping the aspect (1024x512)')
    parser.add_argument('--batch-size', type=int, default=4,
                        help='images of one size per forward pass')
    parser.add_argument('--amp', choices=sorted(AMP_DTYPES), default='none',
                        help='bf16: autocast the forward pass')
    parser.add_argument('--device', default=None,
                        help='cuda:0, cpu, ... (default: cuda:0 when available)')
    parser.add_argument('--opacity', type=float, default=0.5,
                        help='of the palette in the overlays, in (0, 1]')
    parser.add_argument('--strict', action='store_true',
                        help='stop at the first unreadable input (default: skip it '
                             'with a warning, label the rest and exit with status 1)')
    parser.add_argument('--cfg-options', nargs='+', action=mmcv.DictAction,
                        help='override config keys')
    add_debug_arg(parser)
    return parser


def parse_scale(text):
    """None, a positive float ratio, or ``(W, H)`` from ``'WxH'``."""
    if text is None:
        return None
    try:
        if 'x' in text.lower():
            width, height = (int(v) for v in text.lower().split('x'))
            if width > 0 and height > 0:
                return width, height
        elif float(text) > 0:
            return float(text)
    except ValueError:
        pass
    raise ConfigError(f'--scale: {text!r} is neither a ratio (0.5) nor WxH (1024x512)')


def _suffix(path):
    return osp.splitext(path)[1].lower()


def collect_inputs(inputs):
    """``(image jobs, video paths)`` of the command line's inputs, checked.

    A folder contributes its images (recursively, sorted) under their paths inside
    it; a file its name. Two inputs with one output name are an error.
    """
    images, videos, owners = [], [], {}
    for item in inputs:
        if osp.isdir(item):
            found = sorted(osp.relpath(osp.join(root, f), item)
                           for root, _, files in os.walk(item, followlinks=True)
                           for f in files if _suffix(f) in IMAGE_SUFFIXES)
            if not found:
                raise ConfigError(f'input folder {item} holds no images '
                                  f'({", ".join(IMAGE_SUFFIXES)})')
            jobs = [ImageJob(osp.join(item, rel), osp.splitext(rel)[0]) for rel in found]
            target = images
        elif osp.isfile(item) and _suffix(item) in IMAGE_SUFFIXES + VIDEO_SUFFIXES:
            jobs = [ImageJob(item, osp.splitext(osp.basename(item))[0])]
            target = videos if _suffix(item) in VIDEO_SUFFIXES else images
        elif osp.isfile(item):
            raise ConfigError(f'input {item}: not an image ({", ".join(IMAGE_SUFFIXES)})'
                              f' or video ({", ".join(VIDEO_SUFFIXES)})')
        else:
            raise ConfigError(f'input {item} does not exist')
        for job in jobs:
            if job.rel in owners:
                raise ConfigError(f'inputs {owners[job.rel]} and {job.path} would both '
                                  f'be written as {job.rel}; give them separately')
            owners[job.rel] = job.path
        target.extend(jobs)
    return images, videos


def colorize(label, palette):
    """HxW class map -> HxWx3 BGR image in the (RGB) palette; ignore stays black."""
    table = np.zeros((256, 3), np.uint8)
    table[:len(palette)] = np.asarray(palette, np.uint8)[:, ::-1]
    return table[label.astype(np.uint8)]


def overlay(image, color, opacity):
    """``image`` with ``color`` blended over it as mmseg's ``show_result`` does."""
    return (image * (1 - opacity) + color * opacity).astype(np.uint8)


def _write_png(path, array):
    mmcv.mkdir_or_exist(osp.dirname(path))
    if not cv2.imwrite(path, array):
        raise OSError(f'cannot write {path}')


class Writer:
    """Writes the per-image outputs under ``out``.

    Args:
        out (str): the output folder.
        palette (list): RGB colour per class.
        opacity (float): of the palette in the overlays.
        raw (bool): also write train-id PNGs.
    """

    def __init__(self, out, palette, opacity, raw):
        self.out, self.palette, self.opacity, self.raw = out, palette, opacity, raw

    def image(self, job, image, label):
        color = colorize(label, self.palette)
        _write_png(osp.join(self.out, 'color', job.rel + '.png'), color)
        _write_png(osp.join(self.out, 'overlay', job.rel + '.png'),
                   overlay(image, color, self.opacity))
        if self.raw:
            _write_png(osp.join(self.out, 'labels', job.rel + '.png'),
                       label.astype(np.uint8))

    def frame_label(self, job, index, label):
        if self.raw:
            _write_png(osp.join(self.out, 'labels', job.rel, f'frame_{index:06d}.png'),
                       label.astype(np.uint8))


def open_video_writer(out_stem, fps, size):
    """A ``cv2.VideoWriter`` for the first codec of :data:`VIDEO_CODECS` that opens;
    returns ``(writer, path)``."""
    mmcv.mkdir_or_exist(osp.dirname(out_stem))
    for fourcc, suffix in VIDEO_CODECS:
        path = out_stem + suffix
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), fps, size)
        if writer.isOpened():
            return writer, path
        writer.release()
    raise OSError(f'OpenCV cannot write a video here (tried {VIDEO_CODECS})')


def _batches(items, size, shape_of):
    """Runs of consecutive items of one shape, at most ``size`` long."""
    batch = []
    for item in items:
        if batch and (len(batch) == size or shape_of(item) != shape_of(batch[0])):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


class SkippedInputs:
    """The inputs a run leaves out because they cannot be read.

    Args:
        strict (bool): raise the first input's error instead of skipping it.
    """

    def __init__(self, strict):
        self.strict = strict
        self.paths = []

    def skip(self, path, err):
        """Skip ``path`` with one warning line (``err`` names it); raises ``err``
        when strict."""
        if self.strict:
            raise err
        self.paths.append(path)
        tqdm.write(f'infer.py: warning: {err}; skipped', file=sys.stderr)

    def readable(self, jobs):
        """The image jobs whose file opens (header, and a PNG is whole); the
        others are skipped."""
        kept = []
        for job in jobs:
            try:
                read_image_size(job.path)
                kept.append(job)
            except DataFileError as err:
                self.skip(job.path, err)
        return kept


def _read_images(jobs, skipped):
    for job in jobs:
        try:
            image = read_image(job.path)  # BGR, as mmseg's LoadImageFromFile
        except DataFileError as err:  # changed since the check
            skipped.skip(job.path, err)
            continue
        yield job, image


def label_images(model, jobs, writer, batch_size, amp_dtype, progress, skipped):
    """Label and write the images of ``jobs``; returns how many were written."""
    written = 0
    for batch in _batches(_read_images(jobs, skipped), batch_size,
                          lambda x: x[1].shape):
        labels = predict(model, [image for _, image in batch], amp_dtype)
        for (job, image), label in zip(batch, labels):
            writer.image(job, image, label)
        progress.update(len(batch))
        written += len(batch)
    return written


def _frames(capture):
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            return
        yield index, frame
        index += 1


def label_video(model, job, writer, batch_size, amp_dtype, progress):
    """Overlay video (and per-frame train ids) of one video; returns its path."""
    capture = cv2.VideoCapture(job.path)
    if not capture.isOpened():
        raise DataFileError(f'cannot open video {job.path}')
    fps = capture.get(cv2.CAP_PROP_FPS) or DEFAULT_FPS
    video, path = None, None
    try:
        for batch in _batches(_frames(capture), batch_size, lambda x: x[1].shape):
            labels = predict(model, [frame for _, frame in batch], amp_dtype)
            for (index, frame), label in zip(batch, labels):
                if video is None:
                    video, path = open_video_writer(
                        osp.join(writer.out, 'video', job.rel), fps,
                        (frame.shape[1], frame.shape[0]))
                video.write(overlay(frame, colorize(label, writer.palette),
                                    writer.opacity))
                writer.frame_label(job, index, label)
            progress.update(len(batch))
    finally:
        capture.release()
        if video is not None:
            video.release()
    if path is None:
        raise DataFileError(f'cannot read a frame of video {job.path}')
    return path


def _frame_count(path):
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    capture.release()
    return max(count, 0)


def run_infer(args):
    """Label ``args.inputs``; returns ``dict(images, videos, skipped, out,
    exit_status)``: the number of images written, the overlay video paths, the
    inputs skipped as unreadable, and 1 when there are any (else 0)."""
    cfg = load_config(args)
    check_file(args.checkpoint, 'checkpoint')
    if not 0 < args.opacity <= 1:
        raise ConfigError(f'--opacity must be in (0, 1], got {args.opacity}')
    if args.batch_size < 1:
        raise ConfigError(f'--batch-size must be at least 1, got {args.batch_size}')
    scale = parse_scale(args.scale)
    images, videos = collect_inputs(args.inputs)
    skipped = SkippedInputs(args.strict)
    images = skipped.readable(images)
    set_test_scale(cfg, scale)
    device = args.device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    model = init_adapted_segmentor(cfg, args.checkpoint, device=device,
                                   source_checkpoint=args.source_checkpoint)
    if model.PALETTE is None:
        raise ConfigError(f'{args.checkpoint} has no PALETTE in its meta and the test '
                          f'dataset of {args.config} has none either')
    writer = Writer(args.out, model.PALETTE, args.opacity, args.raw)
    amp_dtype = AMP_DTYPES[args.amp]
    total = len(images) + sum(_frame_count(job.path) for job in videos)
    video_paths = []
    with tqdm(total=total or None, unit='img', desc='infer') as progress:
        written = label_images(model, images, writer, args.batch_size, amp_dtype,
                               progress, skipped)
        for job in videos:
            try:
                video_paths.append(label_video(model, job, writer, args.batch_size,
                                               amp_dtype, progress))
            except DataFileError as err:
                skipped.skip(job.path, err)
    print(f'infer.py: {written} image(s) and {len(video_paths)} video(s) written to '
          f'{args.out}; {len(skipped.paths)} unreadable input(s) skipped')
    return dict(images=written, videos=video_paths, skipped=list(skipped.paths),
                out=args.out, exit_status=PARTIAL_STATUS if skipped.paths else 0)


def infer_main(argv=None):
    """``tools/infer.py``: returns :func:`run_infer`'s summary."""
    return run_infer(build_infer_parser().parse_args(cli_argv(argv)))
