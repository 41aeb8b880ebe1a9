# Cityscapes as the labelled source (for Cityscapes -> ACDC / Dark Zurich): train
# images resized to 1024x512 (MIC's source resolution), random 512x512 crops
# (cat_max_ratio 0.75), flip, photometric distortion, batch 2; evaluated on
# Cityscapes val (the source model serves both targets).
_base_ = ['./cityscapes_val_1024x512.py']
crop_size = (512, 512)
cityscapes_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', img_scale=(1024, 512)),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    {{_base_.normalize}},
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
# Source-GtA pretraining leaves out the photometric distortion (as the release does
# for GTA5 and SYNTHIA); cityscapes_1024x512_512x512_source-gta.py uses this one
source_gta_train_pipeline = [
    t for t in cityscapes_train_pipeline if t != dict(type='PhotoMetricDistortion')]
data = dict(
    samples_per_gpu=2,
    train=dict(
        type='UVPTCityscapesDataset',
        data_root={{_base_.cityscapes_root}},
        img_dir='leftImg8bit/train',
        ann_dir='gtFine/train',
        pipeline=cityscapes_train_pipeline))
