# Standard source model: Swin-B + DAFormer head trained on GTA5 (docs/method.md §7).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_swin-b.py',
    '../_base_/datasets/gta5_1280x720_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # the model base has init_cfg=None
            type='Pretrained',
            checkpoint='model/swin_base_patch4_window7_224.pth')))
optimizer = dict(lr=6e-06)
