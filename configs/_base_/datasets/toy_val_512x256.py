# The toy benchmark's target val split (Cityscapes layout, 512x256 images), whole
# image at its own size, 19 classes. Toy equivalent of cityscapes_val_1024x512.py.
_base_ = ['./cityscapes_val_1024x512.py']
toy_target_root = 'data/toy/target/'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=(512, 256),
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            {{_base_.normalize}},
            dict(type='ImageToTensor', keys=['img']),
            dict(type='Collect', keys=['img']),
        ])
]
data = dict(
    workers_per_gpu=1,
    val=dict(data_root=toy_target_root, pipeline=test_pipeline),
    test=dict(data_root=toy_target_root, pipeline=test_pipeline))
