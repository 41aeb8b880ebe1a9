# Toy setting before the release-parity round: no weight decay on norm layers
# (norm_decay_mult 0). Compared in docs/toy_results.md (tools/ablation.py
# --extra-configs); the paper configs keep the release's decay on norms.
_base_ = ['../uvpt_mit-tiny.py']
variant = dict(name='no-norm-decay', description='no weight decay on norm layers')
optimizer = dict(paramwise_cfg=dict(norm_decay_mult=0.0))
