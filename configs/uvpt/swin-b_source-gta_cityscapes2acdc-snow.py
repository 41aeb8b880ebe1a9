# Uni-UVPT on ACDC's snow images alone: the base config (all four conditions) with
# train (on this run's snow pseudo-labels), val and test filtered to snow; model, LR
# and schedule as there.
_base_ = ['./swin-b_source-gta_cityscapes2acdc.py']
data = dict(
    train=dict(
        conditions='snow',
        pseudo_label_dir='data/pseudo_labels/swin-b_source-gta_cityscapes2acdc-snow'),
    val=dict(conditions='snow'),
    test=dict(conditions='snow'))
