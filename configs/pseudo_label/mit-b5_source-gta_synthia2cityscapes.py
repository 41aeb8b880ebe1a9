# Pseudo-labels of Cityscapes train by the Source-GtA MiT-B5 source model trained on
# SYNTHIA (docs/method.md §6).
# Source-GtA checkpoints hold extra group heads (aug_heads.*); the global head
# is the decode head, so the standard source model labels with it.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5.py',
    '../_base_/datasets/cityscapes_pseudo_label_1024x512.py'
]
source_checkpoint = 'model/mit-b5_source-gta_synthia.pth'
pseudo_label_dir = 'data/pseudo_labels/mit-b5_source-gta_synthia2cityscapes'
