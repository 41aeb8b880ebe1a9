# Standard source model: the DINOv2 ViT-B/14 frozen, the simple feature pyramid and
# the DAFormer head trained on GTA5 (Rein's "frozen" baseline; docs/method.md §1,
# §7). Not a run of the paper; datasets and schedule of its standard GTA5 runs
# (mit-b5_standard_gta5.py: 400k iterations at batch 2, 1.5k warm-up, poly).
# LR: with the ViT frozen only the pyramid and the head train, both at 10x, so the
# base LR only sets theirs. 2e-5 is MiT-B5's standard GTA5 run's (pyramid and head
# at 2e-4, the higher of the paper's two GTA5 head LRs: here they start at random
# on fixed features and are all that moves). Not tuned.
# Full fine-tuning instead (the ViT trains too, at the base LR, its norms without
# weight decay as every backbone's in pretraining; adaptation freezes the result):
#   python pretrain.py configs/pretrain/vit-b14_standard_gta5.py \
#       --cfg-options model.backbone.freeze_backbone=False
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-b14_dinov2.py',
    '../_base_/datasets/gta5_1280x720_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
# the pyramid starts at random like the head, so it gets the head's 10x ('head'
# does not match backbone.pyramid.*)
optimizer = dict(
    lr=2e-05, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
