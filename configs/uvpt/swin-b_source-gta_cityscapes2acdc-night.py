# Uni-UVPT on ACDC's night images alone: the base config (all four conditions) with
# train (on this run's night pseudo-labels), val and test filtered to night; model, LR
# and schedule as there.
_base_ = ['./swin-b_source-gta_cityscapes2acdc.py']
data = dict(
    train=dict(
        conditions='night',
        pseudo_label_dir='data/pseudo_labels/swin-b_source-gta_cityscapes2acdc-night'),
    val=dict(conditions='night'),
    test=dict(conditions='night'))
