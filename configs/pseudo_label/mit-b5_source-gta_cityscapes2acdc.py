# Pseudo-labels of ACDC train (fog, night, rain, snow) by the Source-GtA MiT-B5 source
# model trained on Cityscapes, whole images at 960x540.
# Source-GtA checkpoints hold extra group heads (aug_heads.*); the global head
# is the decode head, so a standard source model's config labels with it.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5.py',
    '../_base_/datasets/acdc_pseudo_label_960x540.py'
]
source_checkpoint = 'model/mit-b5_source-gta_cityscapes.pth'
pseudo_label_dir = 'data/pseudo_labels/mit-b5_source-gta_cityscapes2acdc'
