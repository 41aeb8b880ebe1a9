# Tiny adaptation model matching daformer_vit-tiny.py (its source model); the
# backbone frozen, as every adaptation model's.
_base_ = ['./uvpt_daformer_vit-b14.py']
model = dict(
    backbone=dict(img_size=224, embed_dim=64, depth=4, num_heads=2,
                  drop_path_rate=0., group_depths=(1, 1, 1, 1), pyramid_channels=32,
                  prompt_cfg=dict(num_heads=4, inplanes=16)),
    decode_head=dict(in_channels=[32, 32, 32, 32], channels=64,
                     decoder_params=dict(embed_dims=64)))
