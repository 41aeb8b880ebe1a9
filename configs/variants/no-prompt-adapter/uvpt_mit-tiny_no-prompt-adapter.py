# Ablation and baseline: without the prompt adapter. The frozen source backbone (its
# stock forward, fused attention as in Uni-UVPT) and the decode head trained by the
# self-training loss at a single scale, with the same pseudo-labels, correction and
# schedule. Also the PEFT baseline "decode head only" (../head-only/ names it).
# Variant 'no-prompt-adapter' of configs/toy/uvpt_mit-tiny.py; docs/variants.md.
_base_ = ['../../toy/uvpt_mit-tiny.py']
variant = dict(
    name='no-prompt-adapter',
    description=(
        'without the prompt adapter: the frozen source backbone and the decode '
        'head self-trained at one scale (the self-training baseline; same model '
        'as head-only)'))
model = dict(
    backbone=dict(with_prompt_adapter=False, prompt_cfg=None),
    scales=(1.0, ),
    loss_pred_consistency=None,
    loss_prompt_consistency=None,
    backbone_tuning='frozen')
