# Toy stage 2 with the tiny ViT: its toy source model labels the toy target train
# split (whole image at 512x256). The defaults point at the run folders of
# pretrain_vit-tiny.py's comment.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-tiny.py',
    '../_base_/datasets/toy_pseudo_label_512x256.py'
]
source_checkpoint = 'work_dirs/toy_vit-tiny/pretrain/latest.pth'
pseudo_label_dir = 'work_dirs/toy_vit-tiny/pseudo_labels'
