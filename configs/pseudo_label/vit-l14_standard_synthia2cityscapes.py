# Pseudo-labels of Cityscapes train by the standard ViT-L/14 source model trained on
# SYNTHIA (a frozen DINOv2 ViT, the pyramid and the DAFormer head, trained by
# configs/pretrain/vit-l14_standard_synthia.py; docs/method.md §6). Not a run of the
# paper; built as the MiT-B5 ones.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-l14.py',
    '../_base_/datasets/cityscapes_pseudo_label_1024x512.py'
]
source_checkpoint = 'model/vit-l14_standard_synthia.pth'
pseudo_label_dir = 'data/pseudo_labels/vit-l14_standard_synthia2cityscapes'
