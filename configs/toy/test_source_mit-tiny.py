# Toy stage 4 baseline: the toy source model evaluated on the toy target val split
# (source-only mIoU; test the adapted model with uvpt_mit-tiny.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-tiny.py',
    '../_base_/datasets/toy_val_512x256.py'
]
