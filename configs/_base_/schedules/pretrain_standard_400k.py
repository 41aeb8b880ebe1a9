# Standard source pretraining (docs/method.md §7): AdamW, LR x10 on every decode head
# ('head' in the parameter name), poly decay after a 1.5k-iteration linear warm-up,
# 400k iterations. Leaves set optimizer.lr; the batch size (2) is in the dataset base.
# Weight decay 0.01 everywhere except on the backbone's norm layers. mmcv's default
# constructor skips norm_decay_mult for parameters matched by a custom key, so the
# heads' norms keep their decay, as in the release (its 'head' key matches before its
# 'norm' key); docs/fidelity.md, "Source pretraining".
optimizer = dict(
    type='AdamW',
    lr=6e-06,
    betas=(0.9, 0.999),
    weight_decay=0.01,
    constructor='DefaultOptimizerConstructor',
    paramwise_cfg=dict(
        norm_decay_mult=0.0, custom_keys=dict(head=dict(lr_mult=10.0))))
optimizer_config = dict()
lr_config = dict(
    policy='poly',
    warmup='linear',
    warmup_iters=1500,
    warmup_ratio=1e-06,
    power=1.0,
    min_lr=0.0,
    by_epoch=False)
# atomic checkpoints and exact resume (iteration, RNG, loader position)
runner = dict(type='UVPTIterBasedRunner', max_iters=400000)
checkpoint_config = dict(by_epoch=False, interval=20000, max_keep_ckpts=3)
evaluation = dict(interval=20000, metric='mIoU', pre_eval=True)
