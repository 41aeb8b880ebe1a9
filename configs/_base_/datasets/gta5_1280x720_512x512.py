# GTA5 source training (standard and Source-GtA pretraining): resized to 1280x720,
# random 512x512 crops, batch 2; evaluated on Cityscapes val.
_base_ = ['./cityscapes_val_1024x512.py']
# The same steps as synthia_1280x760_512x512.py but for the Resize scale; not
# shared through a base: mmcv merges no list items, and a shared base's pipeline
# would add a top-level key to every config that resolves through this file.
crop_size = (512, 512)
gta_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', img_scale=(1280, 720)),
    # re-draw a crop (up to 10 times) while one class covers over 75% of it
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    {{_base_.normalize}},
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
# Source-GtA pretraining leaves out the photometric distortion (as the release does);
# gta5_1280x720_512x512_source-gta.py uses this one
source_gta_train_pipeline = [
    t for t in gta_train_pipeline if t != dict(type='PhotoMetricDistortion')]
data = dict(
    samples_per_gpu=2,
    train=dict(
        type='GTADataset', data_root='data/gta/', pipeline=gta_train_pipeline))
