# Pseudo-labels of ACDC's rain train images alone: the base config (all four
# conditions) with every dataset filtered to rain (val and test too, so that the
# config means one condition wherever it is used), into data/pseudo_labels/<run name>
# as every run.
_base_ = ['./mit-b5_standard_cityscapes2acdc.py']
data = dict(
    pseudo_label=dict(conditions='rain'),
    val=dict(conditions='rain'),
    test=dict(conditions='rain'))
pseudo_label_dir = 'data/pseudo_labels/mit-b5_standard_cityscapes2acdc-rain'
