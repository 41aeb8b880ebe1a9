# Uni-UVPT: adapt the Source-GtA Swin-B source model trained on SYNTHIA to Cityscapes
# (docs/method.md §8), evaluated with mIoU16 and mIoU13 (and the 19-class mIoU).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_swin-b.py',
    '../_base_/datasets/cityscapes_uvpt_synthia_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/swin-b_source-gta_synthia.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/swin-b_source-gta_synthia2cityscapes'))
optimizer = dict(lr=6e-06)
