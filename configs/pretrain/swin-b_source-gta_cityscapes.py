# Source-GtA source model for the adverse-condition targets (docs/method.md §7):
# Swin-B, a global DAFormer head and one head per augmentation group, trained on
# Cityscapes train (1024x512, 512x512 crops) with class-weighted cross-entropy (the
# release's fixed weights; cityscapes_1024x512_512x512_source-gta.py says why not
# Cityscapes' own), evaluated on Cityscapes val. The schedule and LR of the GTA5
# Source-GtA source model (swin-b_source-gta_gta5.py); not a run of the paper.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/source-gta_swin-b.py',
    '../_base_/datasets/cityscapes_1024x512_512x512_source-gta.py',
    '../_base_/schedules/pretrain_gta_40k.py'
]
optimizer = dict(lr=1e-05)
