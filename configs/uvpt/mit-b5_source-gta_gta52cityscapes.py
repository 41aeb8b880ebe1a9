# Uni-UVPT: adapt the Source-GtA MiT-B5 source model trained on GTA5 to Cityscapes
# (docs/method.md §8), evaluated with 19 classes.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_mit-b5.py',
    '../_base_/datasets/cityscapes_uvpt_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/mit-b5_source-gta_gta5.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/mit-b5_source-gta_gta52cityscapes'))
optimizer = dict(lr=4e-06)
