# Toy stage 1 with the tiny ViT: its source model (daformer_vit-tiny.py) trained on
# the toy source set (GTA layout), evaluated on the toy target val split. Random
# initialisation (no pretrained tiny ViT), so the ViT trains too, at the MiT toy's LR;
# the pyramid, like the head, at 10x. Run folders (pseudo_label_vit-tiny.py and
# uvpt_vit-tiny.py read them): python pretrain.py configs/toy/pretrain_vit-tiny.py
# --work-dir work_dirs/toy_vit-tiny/pretrain
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_vit-tiny.py',
    '../_base_/datasets/toy_source_512x256.py',
    '../_base_/schedules/pretrain_standard_400k.py'
]
optimizer = dict(
    lr=6e-04, paramwise_cfg=dict(custom_keys=dict(pyramid=dict(lr_mult=10.0))))
lr_config = dict(warmup_iters=20)
runner = dict(max_iters=600)
checkpoint_config = dict(interval=600, max_keep_ckpts=1)
evaluation = dict(interval=600)
log_config = dict(interval=50)
