# Toy Cityscapes -> ACDC, stage 4 baseline: the toy Cityscapes source model on the
# toy ACDC val split (source-only mIoU, overall and per condition).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-tiny.py',
    '../_base_/datasets/toy_acdc_512x256.py'
]
