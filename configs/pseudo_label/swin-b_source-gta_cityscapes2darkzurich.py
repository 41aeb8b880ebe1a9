# Pseudo-labels of the Dark Zurich night train images by the Source-GtA Swin-B source
# model trained on Cityscapes, whole images at 960x540.
# Source-GtA checkpoints hold extra group heads (aug_heads.*); the global head
# is the decode head, so a standard source model's config labels with it.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_swin-b.py',
    '../_base_/datasets/dark_zurich_pseudo_label_960x540.py'
]
source_checkpoint = 'model/swin-b_source-gta_cityscapes.pth'
pseudo_label_dir = 'data/pseudo_labels/swin-b_source-gta_cityscapes2darkzurich'
