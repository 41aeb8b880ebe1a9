# The toy benchmark's source set (GTA layout, 512x256 images): random 256x256 crops,
# batch 2. Toy equivalent of gta5_1280x720_512x512.py.
_base_ = ['./toy_val_512x256.py']
crop_size = (256, 256)
toy_source_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', img_scale=(512, 256)),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    {{_base_.normalize}},
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
data = dict(
    samples_per_gpu=2,
    train=dict(
        type='GTADataset',
        data_root='data/toy/source/',
        pipeline=toy_source_train_pipeline))
