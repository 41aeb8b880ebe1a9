# PEFT baseline: full fine-tuning. The no-prompt-adapter model with every backbone
# parameter trained (base LR; the head x10, as in source pretraining). Nothing is
# frozen, so the checkpoints are full ones.
# Variant 'full-finetune' of configs/toy/uvpt_mit-tiny.py; docs/variants.md.
_base_ = ['../no-prompt-adapter/uvpt_mit-tiny_no-prompt-adapter.py']
variant = dict(
    name='full-finetune',
    description=(
        'PEFT baseline: full fine-tuning, every backbone weight and the decode '
        'head trained, one scale'))
model = dict(backbone=dict(freeze_backbone=False), backbone_tuning='full')
prompt_only_checkpoints = False
