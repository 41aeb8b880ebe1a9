# Toy stage 1: a tiny MiT source model trained on the toy source set (GTA layout),
# evaluated on the toy target val split. Random initialisation (no ImageNet weights),
# hence a far larger LR than the paper's. Measured on the 2-core machine: 0.32 s per
# iteration, ~3.5 min in all, source-only target mIoU ~15.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-tiny.py',
    '../_base_/datasets/toy_source_512x256.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
optimizer = dict(lr=6e-04)
lr_config = dict(warmup_iters=20)
runner = dict(max_iters=600)
checkpoint_config = dict(interval=600, max_keep_ckpts=1)
evaluation = dict(interval=600)
log_config = dict(interval=50)
