"""Shared helpers (no tests) for the run-time tests: a tiny Cityscapes-layout data set
written to a temp folder, tiny model configs, and run configs for the stage scripts.

The data set is 4 train and 2 val images of 64x32 pixels with 19-class trainId
labels; the models are a tiny stock MiT + SegformerHead (source/pretrain runs) and the
tiny prompted MiT + UVPTSegmentor of ``configs/_base_/models`` (adaptation runs).
"""
import copy
import os
import os.path as osp
import time

import cv2
import numpy as np
import torch
from mmcv import Config
from mmcv.runner import HOOKS, Hook

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
IMG_W, IMG_H = 64, 32
CROP = (32, 32)
CITY = 'town'
NUM_CLASSES = 19
NORM = dict(type='Normalize', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
            to_rgb=True)


def write_cityscapes_like(root, n_train=4, n_val=2, seed=0, size=(IMG_W, IMG_H)):
    """Images (``size`` = W, H) and trainId labels in Cityscapes layout under
    ``root``; returns root.

    Labels are blocky class maps (few classes per image, some ignore pixels) so that
    random crops with ``cat_max_ratio`` find several classes.
    """
    rng = np.random.RandomState(seed)
    width, height = size
    for split, count in (('train', n_train), ('val', n_val)):
        for i in range(count):
            stem = f'{CITY}_{i:06d}_000019'
            blocks = rng.randint(0, 6, size=(height // 8, width // 8))
            label = np.kron(blocks, np.ones((8, 8), dtype=np.int64)).astype(np.uint8)
            label[rng.rand(height, width) < 0.02] = 255
            image = (rng.rand(height, width, 3) * 60 + label[..., None] * 30 % 255)
            folder = osp.join(root, 'leftImg8bit', split, CITY)
            gt_folder = osp.join(root, 'gtFine', split, CITY)
            for path, array in ((osp.join(folder, stem + '_leftImg8bit.png'), image),
                                (osp.join(gt_folder, stem + '_gtFine_labelTrainIds.png'),
                                 label)):
                _imwrite(path, array.astype(np.uint8))
    return str(root)


def write_pseudo_labels(data_root, out_dir):
    """Pseudo-labels = the train ground truth, in the pseudo-label layout."""
    gt = osp.join(data_root, 'gtFine', 'train', CITY)
    for name in sorted(os.listdir(gt)):
        label = cv2.imread(osp.join(gt, name), cv2.IMREAD_UNCHANGED)
        stem = name.replace('_gtFine_labelTrainIds.png', '')
        _imwrite(osp.join(out_dir, CITY, stem + '_pseudoTrainIds.png'), label)
    return str(out_dir)


def _imwrite(path, array):
    os.makedirs(osp.dirname(path), exist_ok=True)
    assert cv2.imwrite(path, array), path


def stock_model(num_classes=NUM_CLASSES):
    """A tiny stock EncoderDecoder: MiT (dims 8..64, one block a stage) + SegformerHead,
    with dropout and drop-path so that training draws random numbers."""
    return dict(
        type='EncoderDecoder',
        backbone=dict(type='MixVisionTransformer', in_channels=3, embed_dims=8,
                      num_stages=4, num_layers=[1, 1, 1, 1], num_heads=[1, 2, 4, 8],
                      patch_sizes=[7, 3, 3, 3], sr_ratios=[4, 2, 1, 1],
                      out_indices=(0, 1, 2, 3), mlp_ratio=2, drop_path_rate=0.1),
        decode_head=dict(type='SegformerHead', in_channels=[8, 16, 32, 64],
                         in_index=[0, 1, 2, 3], channels=16, dropout_ratio=0.1,
                         num_classes=num_classes,
                         norm_cfg=dict(type='BN', requires_grad=True),
                         align_corners=False,
                         loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                          loss_weight=1.0)),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


def uvpt_models():
    """``(source model, adaptation model)`` dicts: the repo's tiny MiT configs."""
    base = osp.join(REPO, 'configs', '_base_', 'models')
    source = Config.fromfile(osp.join(base, 'daformer_mit-tiny.py')).model
    adapt = Config.fromfile(osp.join(base, 'uvpt_daformer_mit-tiny.py')).model
    for model in (source, adapt):
        model.pop('pretrained', None)
        model.backbone.pop('init_cfg', None)
    return source.to_dict(), adapt.to_dict()


def train_pipeline(load='LoadAnnotations', crop='RandomCrop', extra_meta=(),
                   img_scale=(IMG_W, IMG_H), crop_size=CROP):
    meta = ('filename', 'ori_filename', 'ori_shape', 'img_shape', 'pad_shape',
            'scale_factor', 'flip', 'flip_direction', 'img_norm_cfg') + tuple(extra_meta)
    return [
        dict(type='LoadImageFromFile'), dict(type=load),
        dict(type='Resize', img_scale=img_scale, ratio_range=(0.75, 1.5)),
        dict(type=crop, crop_size=crop_size, cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5), dict(type='PhotoMetricDistortion'), NORM,
        dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
        dict(type='DefaultFormatBundle'),
        dict(type='Collect', keys=['img', 'gt_semantic_seg'], meta_keys=meta)]


def eval_pipeline(img_scale=(IMG_W, IMG_H)):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='MultiScaleFlipAug', img_scale=img_scale, flip=False,
             transforms=[dict(type='Resize', keep_ratio=True), dict(type='RandomFlip'),
                         NORM, dict(type='ImageToTensor', keys=['img']),
                         dict(type='Collect', keys=['img'])])]


def run_config(data_root, model=None, max_iters=6, ckpt_interval=3, eval_interval=3,
               samples_per_gpu=2, train=None, img_scale=(IMG_W, IMG_H), **extra):
    """A complete run config (dict) for the stage scripts."""
    split = dict(type='UVPTCityscapesDataset', data_root=data_root,
                 pipeline=eval_pipeline(img_scale))
    cfg = dict(
        custom_imports=dict(imports=['mmseg_uvpt'], allow_failed_imports=False),
        model=copy.deepcopy(model or stock_model()),
        data=dict(
            samples_per_gpu=samples_per_gpu, workers_per_gpu=0,
            train=train or dict(type='UVPTCityscapesDataset', data_root=data_root,
                                img_dir='leftImg8bit/train', ann_dir='gtFine/train',
                                pipeline=train_pipeline()),
            val=dict(split, img_dir='leftImg8bit/val', ann_dir='gtFine/val'),
            test=dict(split, img_dir='leftImg8bit/val', ann_dir='gtFine/val')),
        optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01,
                       paramwise_cfg=dict(
                           norm_decay_mult=0.0,
                           custom_keys=dict(decode_head=dict(lr_mult=10.)))),
        optimizer_config=dict(),
        lr_config=dict(policy='CosineAnnealing', min_lr=0.0, by_epoch=False),
        runner=dict(type='IterBasedRunner', max_iters=max_iters),
        checkpoint_config=dict(by_epoch=False, interval=ckpt_interval),
        evaluation=dict(interval=eval_interval, metric='mIoU'),
        log_config=dict(interval=1, hooks=[dict(type='TextLoggerHook', by_epoch=False),
                                           dict(type='TensorboardLoggerHook',
                                                by_epoch=False)]),
        dist_params=dict(backend='nccl'), log_level='INFO', load_from=None,
        resume_from=None, workflow=[('train', 1)], cudnn_benchmark=False)
    cfg.update(extra)
    return cfg


def dump_config(cfg, path):
    """Write a config dict as a ``.py`` file; returns the path."""
    Config(cfg).dump(str(path))
    return str(path)


def save_source_checkpoint(model_cfg, path, seed=0):
    """A randomly initialised model of ``model_cfg`` saved as a source checkpoint."""
    from mmseg.models import build_segmentor
    torch.manual_seed(seed)
    model = build_segmentor(copy.deepcopy(model_cfg))
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), str(path))
    return str(path)


class SimulatedKill(BaseException):
    """Stands for the process being killed (not an Exception, so nothing catches it)."""


@HOOKS.register_module(force=True)
class KillAtIterHook(Hook):
    """Raises :class:`SimulatedKill` in ``after_train_iter`` of ``iteration``
    (1-based); at priority LOW that is after the optimizer step and the correction
    hook, before that iteration's checkpoint."""

    def __init__(self, iteration):
        self.iteration = iteration

    def after_train_iter(self, runner):
        if runner.iter + 1 == self.iteration:
            raise SimulatedKill(f'killed in iteration {self.iteration}')


@HOOKS.register_module(force=True)
class SlowIterHook(Hook):
    """Sleeps after every iteration, so that a subprocess run can be killed while
    it is between two checkpoints."""

    def __init__(self, seconds):
        self.seconds = seconds

    def after_train_iter(self, runner):
        time.sleep(self.seconds)


@HOOKS.register_module(force=True)
class SaveRankParamsHook(Hook):
    """Saves this rank's trainable parameters to ``<work_dir>/params_rank<r>.pth``
    at the end of the run (to compare DDP ranks)."""

    def after_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        params = {n: p.detach().cpu() for n, p in model.named_parameters()
                  if p.requires_grad}
        torch.save(params, osp.join(runner.work_dir, f'params_rank{runner.rank}.pth'))
