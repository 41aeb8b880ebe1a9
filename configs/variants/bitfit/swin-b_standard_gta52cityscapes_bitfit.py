# PEFT baseline: BitFit. The no-prompt-adapter model with the backbone's bias terms
# and norm-layer parameters trained (models/backbones/peft.py), at the prompt
# adapter's LR multiplier (x5); the rest of the backbone stays frozen, so the
# checkpoints are prompt-only (the trained tensors, the rest from the source).
# Variant 'bitfit' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../no-prompt-adapter/swin-b_standard_gta52cityscapes_no-prompt-adapter.py']
variant = dict(
    name='bitfit',
    description=(
        'PEFT baseline: BitFit, the backbone bias terms and norm parameters and '
        'the decode head trained, one scale'))
model = dict(backbone_tuning='bitfit')
optimizer = dict(
    paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=5.0))))
