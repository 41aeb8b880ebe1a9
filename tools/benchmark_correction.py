"""Cost of the adaptive pseudo-label correction per training sample.

    python tools/benchmark_correction.py                      # 1024x512, 512x512 crops
    python tools/benchmark_correction.py --images 12 --epochs 3 --step-ms 100
    python tools/benchmark_correction.py --out benchmarks/correction_cpu.json
    python tools/benchmark_correction.py --codecs    # PNG vs zstd for one prediction

Runs the real ``AdaptiveCorrectionHook`` (background writer, zstd store) and the real
``LoadCorrectedAnnotations`` on synthetic Cityscapes-sized data: ``--images`` images
of 1024x512 whose pseudo-labels and per-visit predictions are smooth 19-class maps
(argmax of bicubically upsampled random logits, the per-visit prediction a perturbed
copy of the label's logits), random 512x512 crops and flips, one image per step.
From the second epoch every class is corrected (the trigger is set to fire on the
first fit), so labels really change. A sleep of ``--step-ms`` stands in for the
GPU step, during which the writer works, as it would in training.

Reported per sample (median over the visits after the first epoch, and the mean):

- the training thread's time in the hook (``before_train_iter`` +
  ``after_train_iter``; the check and checkpoint work amortised into the mean);
- the same for a sample the hook has to redo (a loader that read ahead of a check);
- the CPU time of the correction on every thread: the hook, its writer thread and
  the label loader's extra work (the loader timed with and without its store);
- today's former implementation measured in the same run: the per-sample sequence
  the hook ran on the training thread before this change (two prediction PNGs
  read, histogram, label read, correction, label PNG written, the prediction pasted
  into full-size canvases and written as two PNGs, the new histogram, the IoU), built
  from the same primitives (``write_png_atomic``, ``read_label_array``,
  ``class_prob_histogram``, ``crop_to_full``, ``correct_label``);
- the store's size on disk per image and extrapolated to the 2,975 Cityscapes
  training images (size per image x 2,975, every image holding a prediction and a
  corrected label).
"""
import argparse
import json
import logging
import os
import os.path as osp
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.parallel import collate
from mmcv.runner import CheckpointHook
from mmseg.datasets.pipelines import Compose

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
import mmseg_uvpt  # noqa: E402,F401  (registers the pipeline steps and the hook)
from mmseg_uvpt.correction import AdaptiveCorrectionHook  # noqa: E402
from mmseg_uvpt.correction import store_writer  # noqa: E402
from mmseg_uvpt.correction.frames import crop_to_full  # noqa: E402
from mmseg_uvpt.correction.iou_queue import intersection_union  # noqa: E402
from mmseg_uvpt.correction.label_update import correct_label  # noqa: E402
from mmseg_uvpt.correction.prob_histogram import (class_prob_histogram,  # noqa: E402
                                                  quantise_prob)
from mmseg_uvpt.datasets.image_io import read_label_array  # noqa: E402
from mmseg_uvpt.utils.atomic_write import write_png_atomic  # noqa: E402
from mmseg_uvpt.benchmarking import harness as bench  # noqa: E402

NUM_CLASSES = 19
CITYSCAPES_TRAIN = 2975
META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'crop_bbox', 'label_path',
             'correction')


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=12)
    parser.add_argument('--epochs', type=int, default=3,
                        help='visits per image (the first epoch is not timed)')
    parser.add_argument('--size', type=int, nargs=2, default=(1024, 512),
                        metavar=('W', 'H'))
    parser.add_argument('--crop', type=int, default=512)
    parser.add_argument('--step-ms', type=float, default=100.0,
                        help='stand-in for the GPU step between the hook calls')
    parser.add_argument('--interval', type=int, default=12,
                        help='iterations between correction checks (also the '
                        'checkpoint interval)')
    parser.add_argument('--work-dir', help='keep the run folder here (default: temp)')
    parser.add_argument('--out', help='write the JSON report')
    parser.add_argument('--codecs', action='store_true',
                        help='only time the prediction file formats')
    return parser.parse_args(argv)


def time_codecs(crop, repeats=20):
    """ms to encode/decode one smooth crop prediction, and its KB, per format."""
    import cv2
    from mmseg_uvpt.correction.store_format import (Prediction, decode_prediction,
                                                    encode_prediction)
    prob, pred = smooth_logits(0, NUM_CLASSES, crop, crop).softmax(0).max(0)
    pred, prob = pred.numpy().astype(np.uint8), quantise_prob(prob.numpy())
    prediction = Prediction(1, (0, crop, 0, crop), (crop, crop), pred, prob)

    def png():
        return b''.join(cv2.imencode('.png', m, [cv2.IMWRITE_PNG_COMPRESSION, 3])[1]
                        .tobytes() for m in (pred, prob))

    def png_decode(_):
        return [read_label_array(path) for path in paths]

    paths = []
    for name, m in (('pred', pred), ('prob', prob)):
        paths.append(osp.join(tempfile.mkdtemp(), name + '.png'))
        write_png_atomic(paths[-1], m)
    rows = {}
    for name, encode, decode in (('PNG (two maps, level 3)', png, png_decode),
                                 ('zstd 1 + row delta', lambda: encode_prediction(
                                     prediction), decode_prediction)):
        data = encode()
        start = time.perf_counter()
        for _ in range(repeats):
            encode()
        encode_ms = (time.perf_counter() - start) * 1e3 / repeats
        start = time.perf_counter()
        for _ in range(repeats):
            decode(data)
        decode_ms = (time.perf_counter() - start) * 1e3 / repeats
        rows[name] = dict(encode_ms=encode_ms, decode_ms=decode_ms, kb=len(data) / 1024)
    return rows


def smooth_logits(seed, channels, height, width, cell=32):
    """[C, H, W] random logits, smooth at the scale of ``cell`` pixels."""
    g = torch.Generator().manual_seed(seed)
    low = torch.randn(1, channels, height // cell + 1, width // cell + 1, generator=g)
    return F.interpolate(low * 3, size=(height, width), mode='bicubic',
                         align_corners=False)[0]


def write_dataset(root, count, size):
    """Images (noise) and smooth pseudo-labels; the per-image logits for predictions."""
    width, height = size
    rng = np.random.default_rng(0)
    logits = []
    for i in range(count):
        name = f'city/img{i:04d}_leftImg8bit.png'
        write_png_atomic(osp.join(root, 'img', name),
                         rng.integers(0, 255, (height, width, 3), np.uint8))
        image_logits = smooth_logits(i, NUM_CLASSES, height, width)
        write_png_atomic(osp.join(root, 'ann', name.replace('leftImg8bit', 'gt')),
                         image_logits.argmax(0).numpy().astype(np.uint8))
        logits.append(image_logits)
    return logits


def pipeline(store_dir, size, crop):
    return Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadCorrectedAnnotations', store_dir=store_dir),
        dict(type='Resize', img_scale=tuple(size), keep_ratio=True),
        dict(type='RandomCropWithBox', crop_size=(crop, crop), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Pad', size=(crop, crop), pad_val=0, seg_pad_val=255),
        dict(type='DefaultFormatBundle'),
        dict(type='Collect', keys=['img', 'gt_semantic_seg'],
             meta_keys=META_KEYS if store_dir else META_KEYS[:-1]),
    ])


def sample_input(root, index):
    name = f'city/img{index:04d}_leftImg8bit.png'
    seg = name.replace('leftImg8bit', 'gt')
    return dict(img_info=dict(filename=name, ann=dict(seg_map=seg)),
                ann_info=dict(seg_map=seg), seg_fields=[],
                img_prefix=osp.join(root, 'img'), seg_prefix=osp.join(root, 'ann'))


def model_output(batch, image_logits, visit):
    """Pred/prob of a visit: the image's logits, perturbed, in the sample frame."""
    meta = batch['img_metas'].data[0][0]
    y1, y2, x1, x2 = meta['crop_bbox']
    logits = image_logits[:, y1:y2, x1:x2] + smooth_logits(
        1000 + visit, NUM_CLASSES, y2 - y1, x2 - x1, cell=64)
    if meta['flip']:
        logits = logits.flip(-1)
    prob, pred = logits.softmax(0).max(0)
    label = batch['gt_semantic_seg'].data[0][:, 0].to(torch.uint8)
    return dict(pred=pred.to(torch.uint8)[None], prob=prob[None], label=label,
                img_metas=batch['img_metas'].data[0])


class Runner:
    """What the hook reads from mmcv's runner."""

    def __init__(self, work_dir, hooks, epoch_iters):
        self.work_dir, self.hooks, self.meta = work_dir, hooks, dict()
        self.iter, self.outputs, self.data_batch = 0, {}, None
        self.logger = logging.getLogger('benchmark_correction')
        self.data_loader = [None] * epoch_iters
        self._max_iters = 10**9


class TimedWriter(store_writer.StoreWriter):
    """The hook's writer, adding up the CPU time of its thread."""
    cpu_s = 0.0

    def _process(self, *job):
        start = time.thread_time()
        try:
            super()._process(*job)
        finally:
            TimedWriter.cpu_s += time.thread_time() - start


def former_sample(store_root, out, index, meta, num_classes):
    """The former implementation's per-sample work (all on the training thread)."""
    name = meta['ori_filename'][:-4]
    pred_path = osp.join(store_root, 'preds', name + '_pred.png')
    prob_path = osp.join(store_root, 'preds', name + '_prob.png')
    label_path = osp.join(store_root, 'labels', name + '.png')
    inter_union = intersection_union(out['pred'], out['label'], num_classes)
    prob = quantise_prob(out['prob'].float().numpy())[0]
    delta = 0
    if osp.isfile(pred_path):
        previous = read_label_array(pred_path), read_label_array(prob_path)
        delta = -class_prob_histogram(*previous, num_classes)
        label = (read_label_array(label_path) if osp.isfile(label_path) else
                 read_label_array(meta['label_path']))
        active = np.ones(num_classes, dtype=bool)
        new, changed = correct_label(label, *previous, active,
                                     np.full(num_classes, 200.0))
        if changed:
            write_png_atomic(label_path, new)
    full = (int(meta['ori_shape'][0]), int(meta['ori_shape'][1]))  # scale 1
    box, flip = meta['crop_bbox'], meta['flip']
    full_pred = crop_to_full(out['pred'][0].numpy(), box, full, flip, fill=255)
    full_prob = crop_to_full(prob, box, full, flip, fill=0)
    write_png_atomic(prob_path, full_prob)
    write_png_atomic(pred_path, full_pred)
    delta = delta + class_prob_histogram(full_pred, full_prob, num_classes)
    return inter_union, delta


def folder_bytes(folder):
    total = 0
    for path, _, names in os.walk(folder):
        total += sum(osp.getsize(osp.join(path, n)) for n in names)
    return total


def run(args):
    work = args.work_dir or tempfile.mkdtemp(prefix='bench-correction-')
    os.makedirs(work, exist_ok=True)
    logits = write_dataset(work, args.images, args.size)
    iters = args.images * args.epochs
    store_dir = osp.join(work, 'run', 'correction', 'labels')
    with_store = pipeline(store_dir, args.size, args.crop)
    without_store = pipeline(None, args.size, args.crop)
    store_writer_class = store_writer.StoreWriter
    hook = AdaptiveCorrectionHook(num_classes=NUM_CLASSES, work_dir=osp.join(work, 'run'),
                                  interval=args.interval, queue_size=args.images,
                                  quantile=0.8, trigger=-1.0, epoch_iters=args.images,
                                  plot=False)
    ckpt = CheckpointHook(interval=args.interval, by_epoch=False, max_keep_ckpts=1)
    runner = Runner(osp.join(work, 'run'), [hook, ckpt], args.images)
    from mmseg_uvpt.correction import hook as hook_module
    hook_module.StoreWriter = TimedWriter
    try:
        hook.before_run(runner)
        rows = []
        former_root = osp.join(work, 'former')
        rng_state = np.random.RandomState(0)
        for t in range(1, iters + 1):
            index = (t - 1) % args.images
            np.random.set_state(rng_state.get_state())
            start = time.thread_time()
            without_store(sample_input(work, index))
            plain_cpu = time.thread_time() - start
            np.random.set_state(rng_state.get_state())
            start = time.thread_time()
            sample = with_store(sample_input(work, index))
            loader_cpu = time.thread_time() - start
            rng_state.randint(0, 2**31)  # the next visit's draws
            batch = collate([sample], samples_per_gpu=1)
            runner.iter, runner.data_batch = t - 1, batch
            wall, cpu = time.perf_counter(), time.thread_time()
            hook.before_train_iter(runner)
            before_s = time.perf_counter() - wall
            before_cpu = time.thread_time() - cpu
            out = model_output(batch, logits[index], t)
            time.sleep(args.step_ms / 1000)
            runner.outputs = dict(correction=out)
            wall2, cpu2 = time.perf_counter(), time.thread_time()
            hook.after_train_iter(runner)
            hook_s = before_s + time.perf_counter() - wall2
            hook_cpu = time.thread_time() - cpu2 + before_cpu
            meta = batch['img_metas'].data[0][0]
            # the former path runs alone, as it did: not beside this step's writer
            hook._writer.flush()
            wall3, cpu3 = time.perf_counter(), time.thread_time()
            former_sample(former_root, out, index, meta, NUM_CLASSES)
            rows.append(dict(iteration=t, hook_ms=hook_s * 1e3, hook_cpu_ms=hook_cpu * 1e3,
                             loader_extra_ms=(loader_cpu - plain_cpu) * 1e3,
                             former_ms=(time.perf_counter() - wall3) * 1e3,
                             former_cpu_ms=(time.thread_time() - cpu3) * 1e3,
                             changed=int(meta['correction']['changed'])))
        hook._collect()
        writer_cpu_ms = TimedWriter.cpu_s * 1e3 / iters
        redo = measure_redo(hook, runner, with_store, work, args, logits)
    finally:
        hook.after_run(runner)
        hook_module.StoreWriter = store_writer_class
    timed = [r for r in rows if r['iteration'] > args.images]
    result = summarise(timed, writer_cpu_ms, redo, args)
    result['store'] = store_sizes(osp.join(work, 'run', 'correction'), former_root,
                                  args.images)
    result['environment'] = bench.environment('cpu')
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    return result


def measure_redo(hook, runner, loader, work, args, logits):
    """Training-thread time of samples whose loader used a stale state version."""
    times = []
    for k in range(min(args.images, 6)):
        t = runner.iter + 2
        sample = loader(sample_input(work, k % args.images))
        sample['img_metas'].data['correction']['state'] = -2  # a version never used
        batch = collate([sample], samples_per_gpu=1)
        runner.iter, runner.data_batch = t - 1, batch
        start = time.perf_counter()
        hook.before_train_iter(runner)
        times.append((time.perf_counter() - start) * 1e3)
        runner.outputs = dict(correction=model_output(batch, logits[k], t))
        hook.after_train_iter(runner)
    return times


def summarise(rows, writer_cpu_ms, redo, args):
    def stats(key):
        values = [r[key] for r in rows]
        return dict(median=statistics.median(values), mean=statistics.fmean(values))

    return dict(settings=dict(images=args.images, epochs=args.epochs,
                              size=list(args.size), crop=args.crop,
                              step_ms=args.step_ms, interval=args.interval,
                              timed_samples=len(rows)),
                hook_ms=stats('hook_ms'), hook_cpu_ms=stats('hook_cpu_ms'),
                loader_extra_cpu_ms=stats('loader_extra_ms'),
                writer_cpu_ms=dict(mean=writer_cpu_ms),
                redo_ms=dict(median=statistics.median(redo), mean=statistics.fmean(redo)),
                former_ms=stats('former_ms'), former_cpu_ms=stats('former_cpu_ms'),
                changed_pixels=stats('changed'))


def store_sizes(new_root, former_root, images):
    out = {}
    for key, root in (('new', new_root), ('former', former_root)):
        per_image = (folder_bytes(osp.join(root, 'labels')) +
                     folder_bytes(osp.join(root, 'preds'))) / images
        out[key] = dict(per_image_kb=per_image / 1024,
                        cityscapes_gb=per_image * CITYSCAPES_TRAIN / 1e9)
    return out


def format_table(r):
    total_new = (r['hook_cpu_ms']['mean'] + r['writer_cpu_ms']['mean'] +
                 r['loader_extra_cpu_ms']['mean'])
    rows = [
        ('training thread, per sample (ms)', f"{r['hook_ms']['median']:.2f}",
         f"{r['hook_ms']['mean']:.2f}", f"{r['former_ms']['median']:.2f}",
         f"{r['former_ms']['mean']:.2f}"),
        ('sample redone on the training thread (ms)', f"{r['redo_ms']['median']:.2f}",
         f"{r['redo_ms']['mean']:.2f}", '', ''),
        ('CPU, all threads, per sample (ms)', '', f'{total_new:.2f}', '',
         f"{r['former_cpu_ms']['mean']:.2f}"),
        ('  of which the hook / writer / loader', '',
         f"{r['hook_cpu_ms']['mean']:.2f} / {r['writer_cpu_ms']['mean']:.2f} / "
         f"{r['loader_extra_cpu_ms']['mean']:.2f}", '', ''),
        ('store per image (KB)', '', f"{r['store']['new']['per_image_kb']:.0f}", '',
         f"{r['store']['former']['per_image_kb']:.0f}"),
        ('store for 2,975 images (GB)', '', f"{r['store']['new']['cityscapes_gb']:.2f}",
         '', f"{r['store']['former']['cityscapes_gb']:.2f}"),
    ]
    lines = ['| | now: median | now: mean | former: median | former: mean |',
             '|---|---|---|---|---|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    if args.codecs:
        rows = time_codecs(args.crop)
        print('| format | encode (ms) | decode (ms) | size (KB) |\n|---|---|---|---|')
        for name, r in rows.items():
            print(f"| {name} | {r['encode_ms']:.2f} | {r['decode_ms']:.2f} | "
                  f"{r['kb']:.0f} |")
        return rows
    result = run(args)
    print(format_table(result))
    s = result['settings']
    print(f"\n{s['timed_samples']} timed samples ({s['images']} images of "
          f"{s['size'][0]}x{s['size'][1]}, {s['crop']}x{s['crop']} crops, epochs 2.."
          f"{s['epochs']}), {s['step_ms']:.0f} ms stand-in step; "
          f"{result['changed_pixels']['mean']:.0f} label pixels corrected per sample")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
