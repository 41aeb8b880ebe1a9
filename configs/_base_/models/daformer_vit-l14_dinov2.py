# The ViT-L/14 source model as pretraining starts it: the frozen backbone from the
# official DINOv2 weights (or timm's vit_large_patch14_dinov2 weights; model/README.md),
# loaded through timm's checkpoint_filter_fn; pyramid and head at random.
_base_ = ['./daformer_vit-l14.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # daformer_vit-l14.py has init_cfg=None
            type='Pretrained',
            checkpoint='model/dinov2_vitl14_pretrain.pth')))
