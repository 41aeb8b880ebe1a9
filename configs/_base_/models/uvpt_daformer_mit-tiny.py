# Tiny adaptation model matching daformer_mit-tiny.py (its source model).
_base_ = ['./uvpt_daformer_mit-b5.py']
model = dict(
    backbone=dict(embed_dims=16, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
                  drop_path_rate=0., prompt_cfg=dict(num_heads=4, inplanes=16)),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=64,
                     decoder_params=dict(embed_dims=64)))
