# Uni-UVPT adaptation on the toy target train split with pseudo-labels: 256x256
# crops of the 512x256 images, batch 1. Toy equivalent of
# cityscapes_uvpt_1024x512_512x512.py (same steps and meta keys).
_base_ = ['./toy_val_512x256.py']
crop_size = (256, 256)
toy_uvpt_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCorrectedAnnotations'),
    dict(type='Resize', img_scale=(512, 256)),
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
        data_root={{_base_.toy_target_root}},
        img_dir='leftImg8bit/train',
        pseudo_label_dir=None,
        pipeline=toy_uvpt_train_pipeline))
