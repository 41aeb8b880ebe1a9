# Pseudo-labels of Cityscapes train by the standard Swin-B source model trained on
# SYNTHIA (docs/method.md §6).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_swin-b.py',
    '../_base_/datasets/cityscapes_pseudo_label_1024x512.py'
]
source_checkpoint = 'model/swin-b_standard_synthia.pth'
pseudo_label_dir = 'data/pseudo_labels/swin-b_standard_synthia2cityscapes'
