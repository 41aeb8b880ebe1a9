"""RandomCropWithBox and LoadCorrectedAnnotations: the stored label reaches the model
as exactly the crop the correction hook maps back (docs/architecture.md)."""
import os.path as osp

import numpy as np
import pytest
from mmcv import Config
from mmseg.datasets.pipelines import Compose

from mmseg_uvpt.correction import configure_correction
from mmseg_uvpt.correction.label_store import LabelStore
from mmseg_uvpt.correction.frames import crop_to_full, resized_shape
from mmseg_uvpt.utils.atomic_write import write_png_atomic
from mmseg_uvpt.datasets.pipelines import RandomCropWithBox

META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'crop_bbox', 'label_path')
IMG = 'city/a_leftImg8bit.png'
SEG = 'city/a_labelTrainIds.png'


@pytest.fixture
def data(tmp_path):
    """A 16x24 image with its label (2x2 blocks of ids), and a label store holding
    a different, 8x12 corrected label (its resized training resolution)."""
    rng = np.random.default_rng(0)
    write_png_atomic(str(tmp_path / 'img' / IMG),
                     rng.integers(0, 255, (16, 24, 3), np.uint8))
    small = (np.arange(96) % 19).astype(np.uint8).reshape(8, 12)
    write_png_atomic(str(tmp_path / 'ann' / SEG), np.kron(small, np.ones((2, 2),
                                                                         np.uint8)))
    store = LabelStore(str(tmp_path / 'work' / 'correction'))
    stored = np.arange(96, dtype=np.uint8).reshape(8, 12)  # every pixel distinct
    store.write_label(IMG, stored)
    return tmp_path, store, small, stored


def _run(tmp_path, store_dir, flip_prob, flip_first=False, seed=0):
    crop = dict(type='RandomCropWithBox', crop_size=(4, 5), cat_max_ratio=0.75)
    flip = dict(type='RandomFlip', prob=flip_prob)
    steps = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadCorrectedAnnotations', store_dir=store_dir),
        dict(type='Resize', img_scale=(12, 8), keep_ratio=True),
        *([flip, crop] if flip_first else [crop, flip]),
        dict(type='Pad', size=(6, 6), pad_val=0, seg_pad_val=255),
        dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=META_KEYS),
    ]
    np.random.seed(seed)
    results = dict(img_info=dict(filename=IMG, ann=dict(seg_map=SEG)),
                   ann_info=dict(seg_map=SEG),
                   seg_fields=[],
                   img_prefix=str(tmp_path / 'img'),
                   seg_prefix=str(tmp_path / 'ann'))
    out = Compose(steps)(results)
    return out['gt_semantic_seg'], out['img_metas'].data


@pytest.mark.parametrize('flip_prob,flip_first', [(0.0, False), (1.0, False),
                                                  (1.0, True)])
def test_stored_label_round_trips_to_the_hook_frame(data, flip_prob, flip_first):
    tmp_path, store, _, stored = data
    for seed in range(4):
        seg, meta = _run(tmp_path, store.labels_dir, flip_prob, flip_first, seed)
        # the dataset's label, which cat_max_ratio judges
        assert meta['label_path'] == osp.join(str(tmp_path / 'ann'), SEG)
        assert resized_shape(meta) == (8, 12)
        y1, y2, x1, x2 = meta['crop_bbox']
        assert (y2 - y1, x2 - x1) == (4, 5) and seg.shape == (6, 6)  # padded
        # the sample is exactly flip(crop(stored label)) ...
        expected = stored[y1:y2, x1:x2]
        if flip_prob:
            expected = expected[:, ::-1]
        assert np.array_equal(seg[:4, :5], expected)
        # ... and the hook's mapping puts every pixel back where it came from
        full = crop_to_full(seg,
                            meta['crop_bbox'],
                            resized_shape(meta),
                            meta['flip'],
                            meta['flip_direction'],
                            fill=255)
        inside = np.zeros((8, 12), bool)
        inside[y1:y2, x1:x2] = True
        assert np.array_equal(full[inside], stored[inside])
        assert (full[~inside] == 255).all()


def test_without_stored_label_loads_and_resizes_the_original(data):
    tmp_path, store, small, _ = data
    other_store = osp.join(str(tmp_path), 'empty_store')
    for store_dir in (other_store, None):
        seg, meta = _run(tmp_path, store_dir, flip_prob=0.0)
        assert meta['label_path'] == osp.join(str(tmp_path / 'ann'), SEG)
        y1, y2, x1, x2 = meta['crop_bbox']
        assert np.array_equal(seg[:4, :5], small[y1:y2, x1:x2])


@pytest.mark.parametrize('with_hook', [False, True])
def test_a_store_left_in_the_work_dir_is_read_only_with_the_hook(data, with_hook):
    """The "no correction" ablation (no AdaptiveCorrectionHook) in a work dir that
    holds an earlier run's store trains on the pseudo-labels alone."""
    tmp_path, _, small, stored = data
    hooks = [dict(type='AdaptiveCorrectionHook', num_classes=19)] if with_hook else []
    loader = dict(type='LoadCorrectedAnnotations')
    cfg = Config(dict(data=dict(train=dict(pipeline=[
        dict(type='LoadImageFromFile'), loader, dict(type='RandomCropWithBox'),
        dict(type='Collect', keys=['img'], meta_keys=META_KEYS)])), custom_hooks=hooks))
    configure_correction(cfg, str(tmp_path / 'work'))
    seg, meta = _run(tmp_path, cfg.data.train.pipeline[1].store_dir, flip_prob=0.0)
    y1, y2, x1, x2 = meta['crop_bbox']
    expected = stored if with_hook else small
    assert np.array_equal(seg[:4, :5], expected[y1:y2, x1:x2])


def test_crop_box_is_clipped_to_a_small_image():
    crop = RandomCropWithBox(crop_size=(10, 10))
    results = dict(img=np.zeros((4, 6, 3), np.uint8),
                   seg_fields=['gt_semantic_seg'],
                   gt_semantic_seg=np.zeros((4, 6), np.uint8))
    out = crop(results)
    assert out['crop_bbox'] == (0, 4, 0, 6) and out['img'].shape == (4, 6, 3)


def test_cat_max_ratio_is_honoured():
    # left half class 0 (large), right column strip class 1: only crops touching
    # the strip have two classes, and cat_max_ratio keeps drawing until one does
    seg = np.zeros((4, 20), np.uint8)
    seg[:, 18:] = 1
    crop = RandomCropWithBox(crop_size=(4, 4), cat_max_ratio=0.9)
    np.random.seed(1)
    hits = 0
    for _ in range(20):
        out = crop(
            dict(img=np.zeros((4, 20, 3), np.uint8),
                 seg_fields=['gt_semantic_seg'],
                 gt_semantic_seg=seg.copy()))
        y1, y2, x1, x2 = out['crop_bbox']
        assert np.array_equal(out['gt_semantic_seg'], seg[y1:y2, x1:x2])
        hits += len(np.unique(out['gt_semantic_seg'])) > 1
    assert hits > 10  # random boxes would touch the strip in 3 of 17 positions
