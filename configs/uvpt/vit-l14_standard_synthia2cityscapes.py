# Uni-UVPT: adapt the standard ViT-L/14 source model trained on SYNTHIA
# (configs/pretrain/vit-l14_standard_synthia.py: frozen DINOv2 ViT, pyramid and
# DAFormer head) to Cityscapes, evaluated with mIoU16 and mIoU13 (and the 19-class
# mIoU). Not a run of the paper; datasets (the SYNTHIA evaluation subsets
# included), schedule, losses and correction as mit-b5_standard_synthia2cityscapes.py
# (docs/method.md §8).
# LR 4e-6 (adapter x5, head x10) as vit-b14_standard_synthia2cityscapes.py (its
# comment gives the reason), so that the two ViTs differ by size alone.
# The pyramid trains on from the source checkpoint at the head's x10, as it was
# pretrained (configs/_base_/models/uvpt_daformer_vit-b14.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_vit-l14.py',
    '../_base_/datasets/cityscapes_uvpt_synthia_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/vit-l14_standard_synthia.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/vit-l14_standard_synthia2cityscapes'))
optimizer = dict(
    lr=4e-06, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
