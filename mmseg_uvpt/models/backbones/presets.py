"""Backbone settings to copy into configs (``configs/_base_/models/``) and tests.

Full-size models follow docs/method.md §1, §2 (Swin-B and MiT-B5 with the reference
adapter); the tiny ones keep every code path (shifted windows, spatial reduction,
non-divisible grids) at test size.
"""
PROMPT_CFG = dict(
    num_heads=16, n_points=4, deform_ratio=0.5, cffn_ratio=0.25, inplanes=64,
    norm_cfg=dict(type='BN', requires_grad=True), init_gamma=1e-6,
    prompt_handover='updated', with_cp=False, attn_impl='auto', level_embed=True,
    drop_path_rate=None)

SWIN_B_PROMPT = dict(
    type='SwinPrompt', pretrain_img_size=224, embed_dims=128, patch_size=4,
    window_size=7, mlp_ratio=4, depths=(2, 2, 18, 2), num_heads=(4, 8, 16, 32),
    strides=(4, 2, 2, 2), out_indices=(0, 1, 2, 3), qkv_bias=True, qk_scale=None,
    patch_norm=True, drop_rate=0., attn_drop_rate=0., drop_path_rate=0.3,
    use_abs_pos_embed=False, act_cfg=dict(type='GELU'), norm_cfg=dict(type='LN'),
    freeze_backbone=True, frozen_drop_path=True, fused_attention=True, with_cp=False,
    prompt_cfg=PROMPT_CFG)

MIT_B5_PROMPT = dict(
    type='MiTPrompt', in_channels=3, embed_dims=64, num_stages=4,
    num_layers=[3, 6, 40, 3], num_heads=[1, 2, 5, 8], patch_sizes=[7, 3, 3, 3],
    strides=[4, 2, 2, 2], sr_ratios=[8, 4, 2, 1], out_indices=(0, 1, 2, 3), mlp_ratio=4,
    qkv_bias=True, drop_rate=0., attn_drop_rate=0., drop_path_rate=0.1,
    freeze_backbone=True, frozen_drop_path=True, fused_attention=True, with_cp=False,
    prompt_cfg=PROMPT_CFG)

TINY_PROMPT_CFG = dict(PROMPT_CFG, num_heads=4, inplanes=16)

SWIN_TINY_PROMPT = dict(
    type='SwinPrompt', embed_dims=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8),
    window_size=7, drop_path_rate=0., prompt_cfg=TINY_PROMPT_CFG)

MIT_TINY_PROMPT = dict(
    type='MiTPrompt', embed_dims=16, num_layers=[2, 2, 2, 2], num_heads=[1, 2, 4, 8],
    sr_ratios=[8, 4, 2, 1], drop_path_rate=0., prompt_cfg=TINY_PROMPT_CFG)


def stock_kwargs(preset):
    """The stock mmseg backbone kwargs of a preset (no prompting keys, no type)."""
    prompting = {'type', 'prompt_cfg', 'freeze_backbone', 'frozen_drop_path',
                 'fused_attention', 'with_prompt_adapter'}
    return {k: v for k, v in preset.items() if k not in prompting}
