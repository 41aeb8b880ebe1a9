# Uni-UVPT: adapt the standard ViT-L/14 source model trained on GTA5
# (configs/pretrain/vit-l14_standard_gta5.py: frozen DINOv2 ViT, pyramid and
# DAFormer head) to Cityscapes, evaluated with 19 classes. Not a run of the paper;
# datasets, schedule, losses and correction as mit-b5_standard_gta52cityscapes.py
# (docs/method.md §8).
# LR 4e-6 (adapter x5, head x10) as vit-b14_standard_gta52cityscapes.py (its
# comment gives the reason), so that the two ViTs differ by size alone.
# The pyramid trains on from the source checkpoint at the head's x10, as it was
# pretrained (configs/_base_/models/uvpt_daformer_vit-b14.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_vit-l14.py',
    '../_base_/datasets/cityscapes_uvpt_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/vit-l14_standard_gta5.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/vit-l14_standard_gta52cityscapes'))
optimizer = dict(
    lr=4e-06, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
