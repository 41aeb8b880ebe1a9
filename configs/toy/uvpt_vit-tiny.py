# Toy stage 3 with the tiny ViT: Uni-UVPT adaptation of its toy source model on the
# toy target train split with its pseudo-labels; also the config to test the adapted
# model with. The frozen tiny ViT with the prompt adapter (one token grid), the
# pyramid and the head training (the pyramid at the head's 10x). Schedule and
# correction as uvpt_mit-tiny.py (toy_uvpt_200.py).
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_vit-tiny.py',
    '../_base_/datasets/toy_uvpt_512x256.py', '../_base_/schedules/toy_uvpt_200.py'
]
log_config = dict(interval=20)
source_checkpoint = 'work_dirs/toy_vit-tiny/pretrain/latest.pth'
data = dict(train=dict(pseudo_label_dir='work_dirs/toy_vit-tiny/pseudo_labels'))
optimizer = dict(paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
