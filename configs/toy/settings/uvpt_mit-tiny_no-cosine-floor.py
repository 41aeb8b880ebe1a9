# Toy setting before the release-parity round: cosine decay to 0 instead of to 1e-5
# of the LR. Compared in docs/toy_results.md (tools/ablation.py --extra-configs);
# the paper configs keep the release's floor.
_base_ = ['../uvpt_mit-tiny.py']
variant = dict(name='no-cosine-floor', description='cosine decay to 0, not to 1e-5 of the LR')
lr_config = dict(_delete_=True, policy='CosineAnnealing', min_lr=0.0, by_epoch=False)
