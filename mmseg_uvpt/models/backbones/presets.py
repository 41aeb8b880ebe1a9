"""Backbone settings to copy into configs (``configs/_base_/models/``) and tests.

Full-size models follow docs/method.md §1, §2 (Swin-B and MiT-B5 with the reference
adapter; ViT-B/14 and ViT-L/14 as DINOv2's); the tiny ones keep every code path
(shifted windows, spatial reduction, non-divisible grids, patch 14) at test size.
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


# Plain ViTs (timm's VisionTransformer as DINOv2's): the prompt levels at 1/8, 1/16,
# 1/32 and one token grid for every group (no hand-over convs), docs/method.md §2.
VIT_PROMPT_CFG = dict(PROMPT_CFG, prompt_strides=(8, 16, 32), single_grid=True)

VIT_B14_PROMPT = dict(
    type='ViTPrompt', img_size=518, patch_size=14, embed_dim=768, depth=12,
    num_heads=12, mlp_ratio=4., qkv_bias=True, init_values=1e-5, class_token=True,
    reg_tokens=0, no_embed_class=False, drop_path_rate=0.1, group_depths=(3, 3, 3, 3),
    pyramid_channels=256, freeze_backbone=True, frozen_drop_path=True,
    fused_attention=True, with_cp=False, prompt_cfg=VIT_PROMPT_CFG)

VIT_L14_PROMPT = dict(
    VIT_B14_PROMPT, embed_dim=1024, depth=24, num_heads=16, group_depths=(6, 6, 6, 6))

#: DINOv2 with registers (timm's ``..._reg4_dinov2``): 4 register tokens, the
#: position embedding without the class token's entry
VIT_B14_REG4_PROMPT = dict(VIT_B14_PROMPT, reg_tokens=4, no_embed_class=True)
VIT_L14_REG4_PROMPT = dict(VIT_L14_PROMPT, reg_tokens=4, no_embed_class=True)

VIT_TINY_PROMPT_CFG = dict(VIT_PROMPT_CFG, num_heads=4, inplanes=16)

#: every path of ViT-B/14 (patch 14 on sizes that are not multiples of it, the
#: position embedding resampled from 16×16, LayerScale, the class token) at width 64
VIT_TINY_PROMPT = dict(
    type='ViTPrompt', img_size=224, patch_size=14, embed_dim=64, depth=4, num_heads=2,
    init_values=1e-5, drop_path_rate=0., group_depths=(1, 1, 1, 1),
    pyramid_channels=32, prompt_cfg=VIT_TINY_PROMPT_CFG)

#: the timm models whose architecture (and parameter names) the presets' stock
#: part has
VIT_TIMM_MODELS = {
    'vit_base_patch14_dinov2': VIT_B14_PROMPT,
    'vit_large_patch14_dinov2': VIT_L14_PROMPT,
    'vit_base_patch14_reg4_dinov2': VIT_B14_REG4_PROMPT,
    'vit_large_patch14_reg4_dinov2': VIT_L14_REG4_PROMPT,
}


def stock_kwargs(preset):
    """The stock mmseg backbone kwargs of a preset (no prompting keys, no type)."""
    prompting = {'type', 'prompt_cfg', 'freeze_backbone', 'frozen_drop_path',
                 'fused_attention', 'with_prompt_adapter'}
    return {k: v for k, v in preset.items() if k not in prompting}


def vit_kwargs(preset):
    """The timm ``VisionTransformer`` kwargs of a ViT preset (what ``ViTPrompt`` sets
    itself included: no classifier, dynamic image size and padding)."""
    own = {'type', 'prompt_cfg', 'freeze_backbone', 'frozen_drop_path',
           'fused_attention', 'with_prompt_adapter', 'with_cp', 'group_depths',
           'pyramid_channels', 'init_cfg', 'pretrained'}
    kwargs = {k: v for k, v in preset.items() if k not in own}
    kwargs.update(num_classes=0, global_pool='', dynamic_img_size=True,
                  dynamic_img_pad=True)
    return kwargs
