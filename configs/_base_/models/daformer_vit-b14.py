# Source model: frozen DINOv2 ViT-B/14 (timm's VisionTransformer, as ViTPrompt
# without adapter) + trainable simple feature pyramid (1/4 ... 1/32) + DAFormer head,
# trained with cross-entropy. DINOv2 weights for pretraining:
# daformer_vit-b14_dinov2.py.
# The backbone's keys are timm's (backbone.blocks.*, ...), the pyramid's
# backbone.pyramid.*; docs/method.md §1.
_base_ = ['./daformer_head.py']
model = dict(
    backbone=dict(
        type='ViTPrompt',
        with_prompt_adapter=False,  # no adapter (prompt_cfg None): the source model
        img_size=518,
        patch_size=14,
        embed_dim=768,
        depth=12,
        num_heads=12,
        mlp_ratio=4.,
        qkv_bias=True,
        init_values=1e-5,          # DINOv2's LayerScale
        class_token=True,
        reg_tokens=0,              # 4 with no_embed_class=True: the _reg4_ models
        no_embed_class=False,
        drop_path_rate=0.1,
        group_depths=(3, 3, 3, 3),  # four groups, as ViT-Adapter splits ViT-B
        pyramid_channels=256,
        freeze_backbone=True,      # the ViT stays frozen; pyramid and head train
        frozen_drop_path=True,
        fused_attention=True,
        with_cp=False,
        init_cfg=None),
    decode_head=dict(in_channels=[256, 256, 256, 256]))
