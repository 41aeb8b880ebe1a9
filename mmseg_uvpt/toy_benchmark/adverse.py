"""Adverse-condition variants of the toy target: fog, night, rain and snow, written in
ACDC's layout, and a night set in Dark Zurich's layout.

Each adverse image is a scene of the toy target (the same scene and labels as
``render_sample(seed, split, index)`` for the train and val splits; test scenes are
drawn the same way from their own seeds), rendered as the target is and then turned
into the condition by a cheap image-space effect driven by the scene's depth: fog
(depth haze toward grey), night (dark, blue, glows, noise), rain (dim, streaks, mist)
and snow (bright, whitened ground, flakes, mist). Pixels the effect leaves without
recognisable content (far and faded, or far and dark) are marked in the invalid mask.

Layout under ``out`` (train ids, as ACDC and Dark Zurich ship them)::

    acdc/rgb_anon/<condition>/<subset>/<seq>/<seq>_frame_<nnnnnn>_rgb_anon.png
    acdc/gt/<condition>/{train,val}/<seq>/<seq>_frame_<nnnnnn>_gt_labelTrainIds.png
                                                 ..._gt_invIds.png  (1 = invalid)
    dark_zurich/rgb_anon/{train,val,test}/night/<seq>/<seq>_frame_<nnnnnn>_rgb_anon.png
    dark_zurich/gt/val/night/<seq>/..._gt_labelTrainIds.png, ..._gt_invIds.png
    toy_adverse.json                               generator parameters, "complete"

Subset ``s`` of condition ``c`` puts sample ``i`` in sequence ``toy<c>_<s><i % 2>``
(two sequences per folder, so the datasets' recursive listing is exercised). Like
:mod:`.generate`, every sample has its own seeded generator, so the bytes do not
depend on ``nproc``; the existing toy benchmark is not changed.
"""
import os.path as osp
import shutil

import cv2
import mmcv
import numpy as np

from ..datasets.label_ids import IGNORE_INDEX, cityscapes_id_to_train_id
from ..utils.atomic_write import write_json_atomic, write_png_atomic
from .domains import TARGET
from .generate import _SPLIT_CODES, HEIGHT, WIDTH, draw_scene_sample
from .render import _depth_map

ADVERSE_GENERATOR_VERSION = 1
ADVERSE_MARKER_NAME = 'toy_adverse.json'
CONDITIONS = ('fog', 'night', 'rain', 'snow')
SUBSETS = ('train', 'val', 'test')
# the toy target has train and val scenes; test scenes get a code of their own
SCENE_CODES = dict(train=_SPLIT_CODES['train'], val=_SPLIT_CODES['val'], test=3)
_EFFECT_CODES = dict(fog=11, night=12, rain=13, snow=14, dark_zurich=15)
SKY_ID, ROAD_ID, SIDEWALK_ID, TERRAIN_ID, VEGETATION_ID, LIGHT_ID = \
    23, 7, 8, 22, 21, 19
NUM_SEQUENCES = 2


def draw_scene(seed, subset, index, width=WIDTH, height=HEIGHT):
    """(RGB image, raw label ids, depth in metres) of a toy target scene: for the
    train and val subsets exactly ``render_sample(seed, subset, index)``'s image and
    labels (both draw through ``draw_scene_sample``; tests/test_toy_adverse.py checks
    they agree)."""
    image, labels, canvas, cam = draw_scene_sample(seed, SCENE_CODES[subset], index,
                                                   TARGET, width, height)
    return image, labels, _depth_map(canvas, cam)


def _grey(img):
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def _noise_field(rng, height, width, cell=16):
    """Smooth noise in [0, 1] (bicubic upsampling of a coarse grid)."""
    coarse = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    return np.clip(cv2.resize(coarse, (width, height),
                              interpolation=cv2.INTER_CUBIC), 0, 1)


def _streaks(rng, height, width, count, length, angle, thickness=1):
    """A layer of straight strokes (rain) in [0, 1]."""
    layer = np.zeros((height, width), np.float32)
    xs, ys = rng.uniform(0, width, count), rng.uniform(0, height, count)
    lengths = rng.uniform(*length, count)
    dx, dy = np.cos(angle), np.sin(angle)
    for x, y, n in zip(xs, ys, lengths):
        cv2.line(layer, (int(x), int(y)), (int(x + dx * n), int(y + dy * n)),
                 1.0, thickness, cv2.LINE_AA)
    return layer


def _flakes(rng, height, width, count, radius):
    layer = np.zeros((height, width), np.float32)
    for x, y, r in zip(rng.uniform(0, width, count), rng.uniform(0, height, count),
                       rng.integers(radius[0], radius[1] + 1, count)):
        cv2.circle(layer, (int(x), int(y)), int(r), 1.0, -1, cv2.LINE_AA)
    return layer


def apply_condition(image, labels, depth, condition, rng):
    """(RGB uint8 image, bool invalid mask) of ``image`` seen in ``condition``.

    Args:
        image (ndarray): RGB uint8 H x W x 3, the clear rendering.
        labels (ndarray): raw Cityscapes label ids, H x W.
        depth (ndarray): metres per pixel (the sky far away).
        condition (str): one of :data:`CONDITIONS`.
        rng (np.random.Generator): the effect's own generator.
    """
    img = image.astype(np.float32) / 255.0
    height, width = labels.shape
    sky = labels == SKY_ID
    if condition == 'fog':
        trans = np.exp(-depth / rng.uniform(18.0, 35.0)).astype(np.float32)
        fog = np.float32(rng.uniform(0.74, 0.84)) * np.array([1.0, 1.01, 1.03],
                                                            np.float32)
        img = img * trans[..., None] + fog * (1 - trans[..., None])
        img = cv2.GaussianBlur(img, (0, 0), 1.0)
        invalid = (trans < 0.08) & ~sky
    elif condition == 'night':
        img = img ** 1.6 * np.float32(rng.uniform(0.2, 0.3))
        img *= np.array([0.8, 0.9, 1.15], np.float32)
        img[sky] = np.array([0.02, 0.025, 0.05], np.float32)
        glow = np.zeros((height, width), np.float32)
        for _ in range(int(rng.integers(3, 7))):  # street lights and headlights
            centre = (int(rng.uniform(0, width)), int(rng.uniform(0.35, 0.75) * height))
            cv2.circle(glow, centre, int(rng.integers(2, 5)), 1.0, -1)
        glow = cv2.GaussianBlur(glow, (0, 0), 9.0) * 6.0
        glow = np.minimum(glow, 1.0)[..., None] * np.array([1.0, 0.8, 0.45],
                                                          np.float32)
        img = img + 0.6 * glow
        img[labels == LIGHT_ID] += np.array([0.5, 0.35, 0.1], np.float32)
        img += rng.standard_normal(img.shape, dtype=np.float32) * 0.03
        invalid = (depth > rng.uniform(35.0, 50.0)) & ~sky & (glow[..., 0] < 0.05)
    elif condition == 'rain':
        grey = _grey(img)[..., None]
        img = (grey + 0.6 * (img - grey)) * np.float32(rng.uniform(0.6, 0.75))
        mist = np.exp(-depth / rng.uniform(90.0, 140.0)).astype(np.float32)
        img = img * mist[..., None] + 0.45 * (1 - mist[..., None])
        wet = np.isin(labels, (ROAD_ID, SIDEWALK_ID))
        img[wet] = img[wet] * 0.8 + 0.1 * np.flipud(img)[wet]  # reflections
        streaks = _streaks(rng, height, width, int(rng.integers(250, 400)),
                           (8, 18), np.deg2rad(rng.uniform(95, 110)))
        img += 0.25 * cv2.GaussianBlur(streaks, (0, 0), 0.6)[..., None]
        img = cv2.GaussianBlur(img, (0, 0), 0.6)
        invalid = (mist < 0.35) & ~sky
    elif condition == 'snow':
        grey = _grey(img)[..., None]
        img = grey + 0.5 * (img - grey)
        ground = np.isin(labels, (ROAD_ID, SIDEWALK_ID, TERRAIN_ID, VEGETATION_ID))
        cover = _noise_field(rng, height, width) * 0.6 + 0.2
        img[ground] = img[ground] * (1 - cover[ground, None]) + \
            0.92 * cover[ground, None]
        mist = np.exp(-depth / rng.uniform(80.0, 130.0)).astype(np.float32)
        img = img * mist[..., None] + 0.85 * (1 - mist[..., None])
        flakes = _flakes(rng, height, width, int(rng.integers(300, 500)), (1, 2))
        img = img * (1 - 0.8 * flakes[..., None]) + 0.8 * flakes[..., None]
        img = img * np.float32(rng.uniform(1.0, 1.1))
        invalid = (mist < 0.35) & ~sky
    else:
        raise ValueError(f'unknown condition {condition!r}; known: {CONDITIONS}')
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8), invalid


def _train_ids(labels):
    lut = np.full(256, IGNORE_INDEX, np.uint8)
    for label_id, train_id in cityscapes_id_to_train_id().items():
        lut[label_id] = train_id
    return lut[labels]


def sequence_name(condition, subset, index):
    """The toy sequence (folder) of sample ``index``: ``toy<condition>_<subset><k>``."""
    return f'toy{condition}_{subset}{index % NUM_SEQUENCES}'


def adverse_paths(out, dataset, condition, subset, index):
    """(image, train-id label, invalid mask) paths of one sample; ``dataset`` is
    'acdc' or 'dark_zurich' (condition 'night')."""
    seq = sequence_name(condition, subset, index)
    stem = f'{seq}_frame_{index:06d}'
    if dataset == 'acdc':
        img_folder = osp.join(out, 'acdc', 'rgb_anon', condition, subset, seq)
        gt_folder = osp.join(out, 'acdc', 'gt', condition, subset, seq)
    else:
        img_folder = osp.join(out, 'dark_zurich', 'rgb_anon', subset, condition, seq)
        gt_folder = osp.join(out, 'dark_zurich', 'gt', subset, condition, seq)
    return (osp.join(img_folder, stem + '_rgb_anon.png'),
            osp.join(gt_folder, stem + '_gt_labelTrainIds.png'),
            osp.join(gt_folder, stem + '_gt_invIds.png'))


def _effect_rng(seed, effect, subset, index):
    return np.random.default_rng(np.random.SeedSequence(
        [seed, _EFFECT_CODES[effect], SCENE_CODES[subset], index]))


def render_adverse(seed, subset, index, condition, dataset='acdc'):
    """(RGB image, train ids, invalid mask uint8 0/1) of one adverse sample of the
    toy ACDC (or, with ``dataset='dark_zurich'``, the toy Dark Zurich night set)."""
    image, labels, depth = draw_scene(seed, subset, index)
    effect = condition if dataset == 'acdc' else 'dark_zurich'
    image, invalid = apply_condition(image, labels, depth, condition,
                                     _effect_rng(seed, effect, subset, index))
    return image, _train_ids(labels), invalid.astype(np.uint8)


def _write_task(task):
    out, seed, subset, index, conditions, dark_zurich = task
    image, labels, depth = draw_scene(seed, subset, index)
    train_ids = _train_ids(labels)
    jobs = [('acdc', c, c) for c in conditions]
    if dark_zurich:
        jobs.append(('dark_zurich', 'night', 'dark_zurich'))
    for dataset, condition, effect in jobs:
        adverse, invalid = apply_condition(image, labels, depth, condition,
                                           _effect_rng(seed, effect, subset, index))
        img_path, label_path, mask_path = adverse_paths(out, dataset, condition,
                                                        subset, index)
        write_png_atomic(img_path, adverse)
        labelled = subset in (('train', 'val') if dataset == 'acdc' else ('val', ))
        if labelled:
            write_png_atomic(label_path, train_ids)
            write_png_atomic(mask_path, invalid.astype(np.uint8))


def generate_toy_adverse_data(out='data/toy', seed=0, num_train=24, num_val=8,
                              num_test=8, conditions=CONDITIONS, dark_zurich=True,
                              nproc=1):
    """Write the toy ACDC (``out/acdc``) and Dark Zurich (``out/dark_zurich``) sets
    unless identical ones are there (``out/toy_adverse.json``); a set made with
    other parameters is replaced. The toy benchmark's own folders are not touched.

    Returns:
        bool: True when samples were generated, False when up to date.
    """
    conditions = tuple(c for c in CONDITIONS if c in conditions)
    params = dict(version=ADVERSE_GENERATOR_VERSION, seed=seed, width=WIDTH,
                  height=HEIGHT, num_train=num_train, num_val=num_val,
                  num_test=num_test, conditions=list(conditions),
                  dark_zurich=dark_zurich)
    marker = osp.join(out, ADVERSE_MARKER_NAME)
    if osp.isfile(marker):
        state = mmcv.load(marker)
        if state.get('complete') is True and state.get('params') == params:
            return False
        for sub in ('acdc', 'dark_zurich'):
            shutil.rmtree(osp.join(out, sub), ignore_errors=True)
    write_json_atomic(marker, dict(complete=False, params=params))
    tasks = [(out, seed, subset, i, conditions, dark_zurich)
             for subset, count in zip(SUBSETS, (num_train, num_val, num_test))
             for i in range(count)]
    if nproc > 1:
        mmcv.track_parallel_progress(_write_task, tasks, nproc, chunksize=4)
    else:
        mmcv.track_progress(_write_task, tasks)
    write_json_atomic(marker, dict(complete=True, params=params))
    return True
