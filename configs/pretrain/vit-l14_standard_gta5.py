# Standard source model: the DINOv2 ViT-L/14 frozen, the simple feature pyramid and
# the DAFormer head trained on GTA5 (Rein's "frozen" baseline; docs/method.md §1,
# §7). Not a run of the paper; everything but the ViT's size as
# vit-b14_standard_gta5.py, whose comment gives the LR's reason (the same LR, so
# that the two ViTs differ by size alone).
# Full fine-tuning instead (the ViT trains too, at the base LR):
#   python pretrain.py configs/pretrain/vit-l14_standard_gta5.py \
#       --cfg-options model.backbone.freeze_backbone=False
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-l14_dinov2.py',
    '../_base_/datasets/gta5_1280x720_512x512.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
optimizer = dict(
    lr=2e-05, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
