# Uni-UVPT adaptation on ACDC train (all four conditions) with the source model's
# pseudo-labels: resized to 960x540 (MIC's target resolution), random 512x512 crop
# that records its box (cat_max_ratio 0.75), flip, photometric distortion, batch 1;
# the steps and meta keys of cityscapes_uvpt_1024x512_512x512.py. Evaluated on ACDC
# val. Leaves set data.train.pseudo_label_dir.
_base_ = ['./acdc_val_960x540.py']
crop_size = (512, 512)
uvpt_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCorrectedAnnotations'),
    dict(type='Resize', img_scale=(960, 540)),
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
        type='PseudoLabelACDCDataset',
        data_root={{_base_.acdc_root}},
        subset='train',
        conditions='all',
        pseudo_label_dir=None,
        pipeline=uvpt_train_pipeline))
