# Pseudo-labels of ACDC's snow train images alone: the base config (all four
# conditions) with every dataset filtered to snow (val and test too, so that the
# config means one condition wherever it is used), into data/pseudo_labels/<run name>
# as every run.
_base_ = ['./swin-b_standard_cityscapes2acdc.py']
data = dict(
    pseudo_label=dict(conditions='snow'),
    val=dict(conditions='snow'),
    test=dict(conditions='snow'))
pseudo_label_dir = 'data/pseudo_labels/swin-b_standard_cityscapes2acdc-snow'
