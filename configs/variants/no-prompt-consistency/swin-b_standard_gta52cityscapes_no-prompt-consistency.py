# Ablation: without the prompt consistency (docs/method.md §4). The multi-scale
# passes, the prediction consistency and the correction stay; no prompt_mix_logits.
# Variant 'no-prompt-consistency' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../../uvpt/swin-b_standard_gta52cityscapes.py']
variant = dict(
    name='no-prompt-consistency',
    description=(
        'Uni-UVPT without the prompt consistency loss'))
model = dict(loss_prompt_consistency=None)
