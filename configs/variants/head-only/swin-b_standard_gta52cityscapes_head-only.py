# PEFT baseline: decode head only. The same config as the no-prompt-adapter ablation
# (one implementation, two names).
# Variant 'head-only' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../no-prompt-adapter/swin-b_standard_gta52cityscapes_no-prompt-adapter.py']
variant = dict(
    name='head-only',
    description=(
        'PEFT baseline: the decode head only on the frozen backbone '
        '(no-prompt-adapter under its PEFT name)'))
