# Uni-UVPT: adapt the Source-GtA Swin-B source model trained on GTA5 to Cityscapes
# (docs/method.md §8), evaluated with 19 classes.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_swin-b.py',
    '../_base_/datasets/cityscapes_uvpt_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/swin-b_source-gta_gta5.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/swin-b_source-gta_gta52cityscapes'))
optimizer = dict(lr=6e-06)
