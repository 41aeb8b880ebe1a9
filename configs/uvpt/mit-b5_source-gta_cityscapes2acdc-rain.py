# Uni-UVPT on ACDC's rain images alone: the base config (all four conditions) with
# train (on this run's rain pseudo-labels), val and test filtered to rain; model, LR
# and schedule as there.
_base_ = ['./mit-b5_source-gta_cityscapes2acdc.py']
data = dict(
    train=dict(
        conditions='rain',
        pseudo_label_dir='data/pseudo_labels/mit-b5_source-gta_cityscapes2acdc-rain'),
    val=dict(conditions='rain'),
    test=dict(conditions='rain'))
