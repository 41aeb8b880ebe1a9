# Source-GtA pretraining (docs/method.md §7): the standard recipe over 40k iterations,
# with no warm-up (the release's Source-GtA configs start at the full LR).
_base_ = ['./pretrain_standard_400k.py']
lr_config = dict(_delete_=True, policy='poly', power=1.0, min_lr=0.0, by_epoch=False)
runner = dict(max_iters=40000)
checkpoint_config = dict(interval=4000)
evaluation = dict(interval=4000)
