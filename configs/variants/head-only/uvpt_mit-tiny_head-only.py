# PEFT baseline: decode head only. The same config as the no-prompt-adapter ablation
# (one implementation, two names).
# Variant 'head-only' of configs/toy/uvpt_mit-tiny.py; docs/variants.md.
_base_ = ['../no-prompt-adapter/uvpt_mit-tiny_no-prompt-adapter.py']
variant = dict(
    name='head-only',
    description=(
        'PEFT baseline: the decode head only on the frozen backbone '
        '(no-prompt-adapter under its PEFT name)'))
