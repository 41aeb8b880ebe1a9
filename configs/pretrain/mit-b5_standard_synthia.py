# Standard source model: MiT-B5 + DAFormer head trained on SYNTHIA (docs/method.md §7).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5.py',
    '../_base_/datasets/synthia_1280x760_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # the model base has init_cfg=None
            type='Pretrained',
            checkpoint='model/mit_b5.pth')))
optimizer = dict(lr=2e-06)
