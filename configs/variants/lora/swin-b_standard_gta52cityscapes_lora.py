# PEFT baseline: LoRA. The no-prompt-adapter model with a rank-8 update (alpha 8) on
# every attention projection of the frozen backbone (Swin: qkv and proj; MiT: the
# packed q/k/v in-projection and out_proj; models/backbones/peft.py), at the prompt
# adapter's LR multiplier (x5). Checkpoints are prompt-only: the LoRA updates, the
# head and the buffers; the frozen weights come from the source checkpoint.
# Variant 'lora' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../no-prompt-adapter/swin-b_standard_gta52cityscapes_no-prompt-adapter.py']
variant = dict(
    name='lora',
    description=(
        'PEFT baseline: LoRA (rank 8, alpha 8) on the backbone attention '
        'projections and the decode head trained, one scale'))
model = dict(backbone_tuning='lora', lora_cfg=dict(rank=8, alpha=8))
optimizer = dict(
    paramwise_cfg=dict(custom_keys=dict(lora_=dict(lr_mult=5.0))))
