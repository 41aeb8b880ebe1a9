# Adaptation model: frozen Swin-B with the prompt adapter + DAFormer head, trained by
# the multi-scale UVPTSegmentor. Backbone and head come from a source checkpoint
# (mmseg_uvpt.checkpoints.source_mapping.load_source_checkpoint); the adapter and the
# mixture logits start fresh.
_base_ = ['./daformer_swin-b.py']
model = dict(
    type='UVPTSegmentor',
    # the three losses (docs/method.md §4); each may be any registered loss
    decode_head=dict(loss_decode=dict(  # self-training, on the 1x logits
        _delete_=True, type='SelfTrainingLoss', entropy_weight=0.005)),
    loss_pred_consistency=dict(
        type='PredictionConsistencyLoss', conf_threshold=0.8, loss_weight=1.0,
        average_over='all'),     # 'confident': over the confident pixels only
    loss_prompt_consistency=dict(
        type='PromptConsistencyLoss', loss_weight=0.001,
        clamp=True),             # the reference release's clamp; False: no clamp
    scales=(1.0, 0.5, 2.0),
    train_align_corners=True,
    amp_dtype=None,                  # 'bfloat16': autocast for the forward passes
    backbone=dict(
        type='SwinPrompt',
        freeze_backbone=True,
        frozen_drop_path=True,       # stochastic depth stays on in the frozen blocks
        fused_attention=True,
        with_cp=False,
        prompt_cfg=dict(
            num_heads=16,
            n_points=4,
            deform_ratio=0.5,
            cffn_ratio=0.25,
            inplanes=64,
            norm_cfg=dict(type='BN', requires_grad=True),
            init_gamma=1e-6,
            prompt_handover='updated',   # 'input': the reference release
            with_cp=False,
            attn_impl='auto',
            level_embed=True,            # the release's MiT-B5 has none
            drop_path_rate=None)))       # None: the backbone's (0.3), as the release
