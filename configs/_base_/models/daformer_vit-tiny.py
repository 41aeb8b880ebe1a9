# Tiny ViT source model for CPU tests and the toy benchmark: every code path of
# ViT-B/14 (patch 14 on sizes that are not multiples of it, the position embedding
# resampled by timm, LayerScale, the pyramid) at width 64, one block a group. No
# pretrained tiny ViT exists, so unlike ViT-B/L its backbone trains in the toy
# pretraining (as the toy MiT does from a random start); adaptation freezes it.
_base_ = ['./daformer_vit-b14.py']
model = dict(
    backbone=dict(img_size=224, embed_dim=64, depth=4, num_heads=2,
                  drop_path_rate=0., group_depths=(1, 1, 1, 1), pyramid_channels=32,
                  freeze_backbone=False),
    decode_head=dict(in_channels=[32, 32, 32, 32], channels=64,
                     decoder_params=dict(embed_dims=64)))
