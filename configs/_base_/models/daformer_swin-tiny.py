# Tiny Swin source model for CPU tests and the toy benchmark: every code path of
# Swin-B (shifted windows, padding, patch merging) at embed dims 32.
_base_ = ['./daformer_swin-b.py']
model = dict(
    backbone=dict(embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8),
                  drop_path_rate=0.),
    decode_head=dict(in_channels=[32, 64, 128, 256], channels=64,
                     decoder_params=dict(embed_dims=64)))
