# Uni-UVPT: adapt the standard ViT-B/14 source model trained on GTA5
# (configs/pretrain/vit-b14_standard_gta5.py: frozen DINOv2 ViT, pyramid and
# DAFormer head) to Cityscapes, evaluated with 19 classes. Not a run of the paper;
# datasets, schedule, losses and correction as mit-b5_standard_gta52cityscapes.py
# (docs/method.md §8).
# LR 4e-6 (adapter x5, head x10): MiT-B5's, the lower of the paper's two; the
# ViT's adapter (9.8 M: the generator and four interactors, no hand-over convs) is
# nearer MiT-B5's (8.0 M) than Swin-B's (24.1 M, 18.6 M of it hand-over convs).
# Not tuned.
# The pyramid trains on from the source checkpoint at the head's x10, as it was
# pretrained (configs/_base_/models/uvpt_daformer_vit-b14.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_vit-b14.py',
    '../_base_/datasets/cityscapes_uvpt_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/vit-b14_standard_gta5.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/vit-b14_standard_gta52cityscapes'))
optimizer = dict(
    lr=4e-06, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
