# Adaptation model: frozen ViT-B/14 with the prompt adapter + the pyramid and the
# DAFormer head, trained by the multi-scale UVPTSegmentor. Backbone, pyramid and head
# come from a source checkpoint (daformer_vit-b14.py's model; the pyramid trains on,
# like the head); the adapter and the mixture logits start fresh. The adapter on one
# token grid: prompts at 1/8, 1/16, 1/32, no hand-over convs (docs/method.md §2).
# Every switch not set here keeps the default of UVPTSegmentor / ViTPrompt /
# PromptAdapter, spelled out in uvpt_daformer_swin-b.py.
_base_ = ['./daformer_vit-b14.py']
model = dict(
    type='UVPTSegmentor',
    decode_head=dict(loss_decode=dict(
        _delete_=True, type='SelfTrainingLoss', entropy_weight=0.005)),
    loss_pred_consistency=dict(
        type='PredictionConsistencyLoss', conf_threshold=0.8, loss_weight=1.0,
        average_over='all'),
    loss_prompt_consistency=dict(
        type='PromptConsistencyLoss', loss_weight=0.001, clamp=True),
    amp_dtype=None,
    backbone=dict(
        with_prompt_adapter=True,
        frozen_drop_path=True,
        prompt_cfg=dict(
            num_heads=16,
            n_points=4,
            deform_ratio=0.5,
            cffn_ratio=0.25,
            inplanes=64,
            norm_cfg=dict(type='BN', requires_grad=True),
            init_gamma=1e-6,
            prompt_handover='updated',   # 'input': every group the generator's prompts
            with_cp=False,
            attn_impl='auto',
            level_embed=True,
            drop_path_rate=None,         # None: the backbone's (0.1)
            prompt_strides=(8, 16, 32),  # ViT-Adapter's spatial prior module
            single_grid=True)))          # one grid: the prompts pass on unchanged
# The pyramid (backbone.pyramid.*) trains at the head's LR: a leaf adaptation config
# adds optimizer.paramwise_cfg.custom_keys.pyramid=dict(lr_mult=10.0) (as
# configs/toy/uvpt_vit-tiny.py; a model base cannot, uvpt_80k.py defines optimizer).
