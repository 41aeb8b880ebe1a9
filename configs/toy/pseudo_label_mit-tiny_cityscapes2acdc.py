# Toy Cityscapes -> ACDC, stage 2: the toy Cityscapes source model labels the toy
# ACDC train split (all four conditions), whole image at 512x256.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-tiny.py',
    '../_base_/datasets/toy_acdc_512x256.py'
]
source_checkpoint = 'work_dirs/toy_acdc/pretrain/latest.pth'
pseudo_label_dir = 'work_dirs/toy_acdc/pseudo_labels'
