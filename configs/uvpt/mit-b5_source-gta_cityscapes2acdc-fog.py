# Uni-UVPT on ACDC's fog images alone: the base config (all four conditions) with
# train (on this run's fog pseudo-labels), val and test filtered to fog; model, LR
# and schedule as there.
_base_ = ['./mit-b5_source-gta_cityscapes2acdc.py']
data = dict(
    train=dict(
        conditions='fog',
        pseudo_label_dir='data/pseudo_labels/mit-b5_source-gta_cityscapes2acdc-fog'),
    val=dict(conditions='fog'),
    test=dict(conditions='fog'))
