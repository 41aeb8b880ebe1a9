# Source-GtA source model (docs/method.md §7): MiT-B5, a global DAFormer head
# and one head per augmentation group, trained on GTA5 with class-weighted
# cross-entropy.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/source-gta_mit-b5.py',
    '../_base_/datasets/gta5_1280x720_512x512_source-gta.py',
    '../_base_/schedules/pretrain_gta_40k.py'
]
optimizer = dict(lr=8e-06)
