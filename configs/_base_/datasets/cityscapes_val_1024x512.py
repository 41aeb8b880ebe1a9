# Cityscapes val, evaluated as in the paper: whole image resized to 1024x512, single
# scale, 19 classes (mmseg rescales the prediction to the full-size label).
# Also the home of the image normalisation and test pipeline every dataset shares.
cityscapes_root = 'data/cityscapes/'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
# the Normalize step of every pipeline; children use it as {{_base_.normalize}}
normalize = dict(type='Normalize', **img_norm_cfg)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=(1024, 512),
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            normalize,
            dict(type='ImageToTensor', keys=['img']),
            dict(type='Collect', keys=['img']),
        ])
]
cityscapes_val = dict(
    type='UVPTCityscapesDataset',
    data_root=cityscapes_root,
    img_dir='leftImg8bit/val',
    ann_dir='gtFine/val',
    pipeline=test_pipeline)
data = dict(
    samples_per_gpu=2,
    workers_per_gpu=4,
    val=cityscapes_val,
    test=cityscapes_val)
