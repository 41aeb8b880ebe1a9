# Ablation: a single scale. One pass at 1x, so neither consistency loss (both compare
# the passes); the adapter, the self-training loss and the correction stay.
# Variant 'single-scale' of configs/toy/uvpt_mit-tiny.py; docs/variants.md.
_base_ = ['../../toy/uvpt_mit-tiny.py']
variant = dict(
    name='single-scale',
    description=(
        'Uni-UVPT with one pass at 1x, so without both consistency losses'))
model = dict(
    scales=(1.0, ), loss_pred_consistency=None, loss_prompt_consistency=None)
