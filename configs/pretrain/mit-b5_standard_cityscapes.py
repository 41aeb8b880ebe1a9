# Standard source model for the adverse-condition targets: MiT-B5 + DAFormer head
# trained on Cityscapes (1024x512, 512x512 crops), evaluated on Cityscapes val. The
# schedule and LR of the GTA5 standard source model; not a run of the paper.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5_imagenet.py',
    '../_base_/datasets/cityscapes_1024x512_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
optimizer = dict(lr=2e-05)
