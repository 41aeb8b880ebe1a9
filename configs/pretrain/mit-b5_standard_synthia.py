# Standard source model: MiT-B5 + DAFormer head trained on SYNTHIA (docs/method.md §7).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5_imagenet.py',
    '../_base_/datasets/synthia_1280x760_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
optimizer = dict(lr=2e-06)
