# ACDC val (fog, night, rain, snow: 406 images), evaluated as the UDA works do
# (MIC, HRDA, Refign): whole image resized to 960x540 (half of 1920x1080), single
# scale, 19 classes, the pixels of the invalid masks excluded. For the test server:
# test.py CONFIG CKPT --format-only --cfg-options data.test.subset=test (writes the
# submission zip, see mmseg_uvpt/datasets/submission.py).
_base_ = ['./cityscapes_val_1024x512.py']
acdc_root = 'data/acdc/'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=(960, 540),
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            {{_base_.normalize}},
            dict(type='ImageToTensor', keys=['img']),
            dict(type='Collect', keys=['img']),
        ])
]
acdc_val = dict(
    type='ACDCDataset',
    data_root=acdc_root,
    subset='val',
    conditions='all',
    pipeline=test_pipeline)
data = dict(
    val=dict(_delete_=True, **acdc_val), test=dict(_delete_=True, **acdc_val))
