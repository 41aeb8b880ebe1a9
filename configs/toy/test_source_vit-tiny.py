# Toy stage 4 baseline with the tiny ViT: its toy source model evaluated on the toy
# target val split (source-only mIoU; test the adapted model with uvpt_vit-tiny.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-tiny.py',
    '../_base_/datasets/toy_val_512x256.py'
]
