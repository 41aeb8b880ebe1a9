# Toy stage 2: the toy source model labels the toy target train split (whole image
# at 512x256). The defaults point at the toy demo's run folders.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-tiny.py',
    '../_base_/datasets/toy_pseudo_label_512x256.py'
]
source_checkpoint = 'work_dirs/toy_demo/pretrain/latest.pth'
pseudo_label_dir = 'work_dirs/toy_demo/pseudo_labels'
