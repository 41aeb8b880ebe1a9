# Uni-UVPT: adapt the standard MiT-B5 source model trained on SYNTHIA to Cityscapes
# (docs/method.md §8), evaluated with mIoU16 and mIoU13 (and the 19-class mIoU).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_mit-b5.py',
    '../_base_/datasets/cityscapes_uvpt_synthia_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/mit-b5_standard_synthia.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/mit-b5_standard_synthia2cityscapes'))
optimizer = dict(lr=4e-06)
