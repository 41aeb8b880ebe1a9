# Uni-UVPT: adapt the Source-GtA Swin-B source model trained on Cityscapes to the Dark
# Zurich night train images (960x540, 512x512 crops: MIC's resolution), evaluated on
# Dark Zurich val at 960x540. The LR of the Source-GtA GTA5 -> Cityscapes run
# (swin-b_source-gta_gta52cityscapes.py); not a run of the paper.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_swin-b.py',
    '../_base_/datasets/dark_zurich_uvpt_960x540_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/swin-b_source-gta_cityscapes.pth'
data = dict(
    train=dict(
        pseudo_label_dir='data/pseudo_labels/swin-b_source-gta_cityscapes2darkzurich'))
optimizer = dict(lr=6e-06)
