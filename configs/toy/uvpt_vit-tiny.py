# Toy stage 3 with the tiny ViT: Uni-UVPT adaptation of its toy source model on the
# toy target train split with its pseudo-labels; also the config to test the adapted
# model with. The frozen tiny ViT with the prompt adapter (one token grid), the
# pyramid and the head training (the pyramid at the head's 10x). Schedule and
# correction as uvpt_mit-tiny.py.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_vit-tiny.py',
    '../_base_/datasets/toy_uvpt_512x256.py', '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'work_dirs/toy_vit-tiny/pretrain/latest.pth'
data = dict(train=dict(pseudo_label_dir='work_dirs/toy_vit-tiny/pseudo_labels'))
optimizer = dict(
    lr=1e-04, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
runner = dict(max_iters=200)
checkpoint_config = dict(interval=200, max_keep_ckpts=1)
evaluation = dict(interval=200)
log_config = dict(interval=20)
# IoU records start once the queue is full (as in the release): 50 samples, so the
# first trigger check (iteration 120, one epoch) fits 8 records
custom_hooks = [
    dict(
        type='AdaptiveCorrectionHook',
        num_classes=19,
        interval=10,
        queue_size=50,
        quantile=0.8,
        trigger=0.95)
]
