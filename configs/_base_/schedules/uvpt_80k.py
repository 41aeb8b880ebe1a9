# Uni-UVPT adaptation (DESIGN §3.5, §3.8): AdamW (0.9, 0.999), weight decay 0.01
# (0 on norm layers), LR x5 on the prompt adapter and x10 on the decode head (the
# frozen backbone has no trainable parameters; the scale-mixing logits take the base
# LR), cosine decay without warm-up, 80k iterations. Leaves set optimizer.lr; the
# batch size (1) is in the dataset base.
optimizer = dict(
    type='AdamW',
    lr=6e-06,
    betas=(0.9, 0.999),
    weight_decay=0.01,
    # mmcv's default constructor would skip norm_decay_mult inside the custom keys
    constructor='UVPTOptimizerConstructor',
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        custom_keys=dict(
            prompt_adapter=dict(lr_mult=5.0), decode_head=dict(lr_mult=10.0))))
optimizer_config = dict()
lr_config = dict(policy='CosineAnnealing', min_lr=0.0, by_epoch=False)
runner = dict(type='UVPTIterBasedRunner', max_iters=80000)
checkpoint_config = dict(by_epoch=False, interval=8000, max_keep_ckpts=3)
evaluation = dict(interval=8000, metric='mIoU', pre_eval=True)
# adaptive pseudo-label correction with the release launcher's settings (check every
# 200 iterations, 1000-sample IoU queue, q = 0.8, start when the slope change lies in
# (0.95, 1)); train.py points it (and the pipeline's LoadCorrectedAnnotations) at
# <work_dir>/correction
custom_hooks = [
    dict(
        type='AdaptiveCorrectionHook',
        num_classes=19,
        interval=200,
        queue_size=1000,
        quantile=0.8,
        trigger=0.95)
]
