# Source model: stock mmseg MiT-B5 (SegFormer) + DAFormer head, cross-entropy.
# ImageNet weights for pretraining: daformer_mit-b5_imagenet.py.
_base_ = ['./daformer_head.py']
model = dict(
    backbone=dict(
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=64,
        num_stages=4,
        num_layers=[3, 6, 40, 3],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        strides=[4, 2, 2, 2],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.,
        attn_drop_rate=0.,
        # 0.1: the reference release's MiT-B5 default (no config of its sets it),
        # in pretraining and adaptation (docs/fidelity.md)
        drop_path_rate=0.1,
        with_cp=False,
        init_cfg=None),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
