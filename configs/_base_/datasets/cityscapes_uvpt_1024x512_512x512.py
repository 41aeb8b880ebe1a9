# Uni-UVPT adaptation on Cityscapes train with the source model's pseudo-labels
# (docs/method.md §8): resized to 1024x512, random 512x512 crop (cat_max_ratio
# 0.75) that records its box, flip, photometric distortion, batch 1. The label is
# the corrected one when the correction store holds it; `crop_bbox` and
# `label_path` travel in the image metas so the correction hook can map
# predictions back to the full label.
# Leaves set data.train.pseudo_label_dir.
_base_ = ['./cityscapes_val_1024x512.py']
crop_size = (512, 512)
uvpt_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCorrectedAnnotations'),
    dict(type='Resize', img_scale=(1024, 512)),
    dict(type='RandomCropWithBox', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    {{_base_.normalize}},
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(
        type='Collect',
        keys=['img', 'gt_semantic_seg'],
        meta_keys=('filename', 'ori_filename', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                   'img_norm_cfg', 'crop_bbox', 'label_path')),
]
data = dict(
    samples_per_gpu=1,
    train=dict(
        type='PseudoLabelCityscapesDataset',
        data_root={{_base_.cityscapes_root}},
        img_dir='leftImg8bit/train',
        pseudo_label_dir=None,
        pipeline=uvpt_train_pipeline))
