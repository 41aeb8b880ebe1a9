# Ablation: without the prediction consistency (docs/method.md §4). The multi-scale
# passes, the prompt consistency and the correction stay; pred_mix_logits becomes a
# buffer of zeros (equal weights) for the correction's mixture.
# Variant 'no-pred-consistency' of configs/uvpt/swin-b_standard_gta52cityscapes.py; docs/variants.md.
_base_ = ['../../uvpt/swin-b_standard_gta52cityscapes.py']
variant = dict(
    name='no-pred-consistency',
    description=(
        'Uni-UVPT without the prediction consistency loss'))
model = dict(loss_pred_consistency=None)
