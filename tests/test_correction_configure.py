"""configure_correction walks the config dicts and checks the train pipeline."""
import os.path as osp

import pytest
from mmcv import Config

from mmseg_uvpt.correction import configure_correction

META_KEYS = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
             'scale_factor', 'flip', 'flip_direction', 'img_norm_cfg', 'crop_bbox',
             'label_path')


def _cfg(loader='LoadCorrectedAnnotations', meta_keys=META_KEYS, hook=True):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type=loader, reduce_zero_label=False),
        dict(type='Resize', img_scale=(1024, 512), keep_ratio=True),
        dict(type='RandomCropWithBox', crop_size=(512, 512), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=meta_keys),
    ]
    hooks = [
        dict(type='SomeOtherHook'),
        dict(type='AdaptiveCorrectionHook', num_classes=19)
    ] if hook else []
    return Config(
        dict(data=dict(train=dict(type='RepeatDataset',
                                  times=2,
                                  dataset=dict(type='PseudoLabelCityscapesDataset',
                                               pipeline=pipeline)),
                       val=dict(pipeline=[dict(type='LoadCorrectedAnnotations')])),
             custom_hooks=hooks))


def test_fills_store_dir_and_hook(tmp_path):
    cfg = configure_correction(_cfg(), str(tmp_path / 'run'))
    loader = cfg.data.train.dataset.pipeline[1]
    assert loader.store_dir == osp.join(str(tmp_path), 'run', 'correction', 'labels')
    hook = cfg.custom_hooks[1]
    assert hook.work_dir == osp.join(str(tmp_path), 'run')
    assert hook.priority == 'ABOVE_NORMAL' and hook.reduce_zero_label is False
    assert 'work_dir' not in cfg.custom_hooks[0]
    assert 'store_dir' not in cfg.data.val.pipeline[0]  # only the train data


def test_explicit_priority_is_kept(tmp_path):
    cfg = _cfg()
    cfg.custom_hooks[1]['priority'] = 45
    assert configure_correction(cfg, str(tmp_path)).custom_hooks[1].priority == 45


def test_refuses_pipelines_the_hook_cannot_use(tmp_path):
    with pytest.raises(ValueError, match='LoadCorrectedAnnotations'):
        configure_correction(_cfg(loader='LoadAnnotations'), str(tmp_path))
    with pytest.raises(ValueError, match="crop_bbox"):
        configure_correction(_cfg(meta_keys=META_KEYS[:-2]), str(tmp_path))
    # without the hook nothing is checked, and the loader reads no store
    cfg = configure_correction(_cfg(meta_keys=META_KEYS[:-2], hook=False), str(tmp_path))
    assert cfg.data.train.dataset.pipeline[1].store_dir is None


def test_without_the_hook_a_store_set_by_hand_is_cleared(tmp_path):
    cfg = _cfg(hook=False)
    cfg.data.train.dataset.pipeline[1]['store_dir'] = str(tmp_path / 'old' / 'labels')
    cfg = configure_correction(cfg, str(tmp_path))
    assert cfg.data.train.dataset.pipeline[1].store_dir is None


def test_config_without_train_data_is_left_alone(tmp_path):
    cfg = Config(dict(data=dict(test=dict(pipeline=[]))))
    assert configure_correction(cfg, str(tmp_path)) is cfg
    cfg.custom_hooks = [dict(type='AdaptiveCorrectionHook', num_classes=19)]
    with pytest.raises(ValueError, match='no LoadCorrectedAnnotations'):
        configure_correction(cfg, str(tmp_path))
