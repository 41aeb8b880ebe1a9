# Ablation: without the adaptive label correction. No AdaptiveCorrectionHook (the
# base's only custom hook), so train.py gives the label loader no store
# (correction/configure.py) and every sample trains on its fixed pseudo-label.
# Variant 'no-correction' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../../uvpt/swin-b_standard_gta52cityscapes.py']
variant = dict(
    name='no-correction',
    description=(
        'Uni-UVPT without the adaptive label correction: fixed pseudo-labels'))
custom_hooks = []
