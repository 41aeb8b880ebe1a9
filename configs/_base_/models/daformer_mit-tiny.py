# Tiny MiT source model for CPU tests and the toy benchmark: every code path of
# MiT-B5 (overlapping patch embeds, spatial reduction) at embed dims 16.
_base_ = ['./daformer_mit-b5.py']
model = dict(
    backbone=dict(embed_dims=16, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
                  drop_path_rate=0.),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=64,
                     decoder_params=dict(embed_dims=64)))
