# Tiny adaptation model matching daformer_swin-tiny.py (its source model).
_base_ = ['./uvpt_daformer_swin-b.py']
model = dict(
    backbone=dict(embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8),
                  drop_path_rate=0., prompt_cfg=dict(num_heads=4, inplanes=16)),
    decode_head=dict(in_channels=[32, 64, 128, 256], channels=64,
                     decoder_params=dict(embed_dims=64)))
