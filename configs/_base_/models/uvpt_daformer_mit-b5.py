# Adaptation model: frozen MiT-B5 with the prompt adapter + DAFormer head, trained by
# the multi-scale UVPTSegmentor. Backbone and head come from a source checkpoint
# (mmseg_uvpt.checkpoints.source_mapping.load_source_checkpoint); the adapter and the
# mixture logits start fresh. Every switch not set here keeps the default of
# UVPTSegmentor / MiTPrompt / PromptAdapter, spelled out in uvpt_daformer_swin-b.py.
_base_ = ['./daformer_mit-b5.py']
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
        type='MiTPrompt',
        frozen_drop_path=True,
        # level_embed=False and prompt_handover='input' compute as the reference
        # release's MiT-B5 (configs/uvpt/release/); drop_path_rate None: the
        # backbone's 0.1 on the extractors' ConvFFN branches, as the release
        prompt_cfg=dict(prompt_handover='updated', with_cp=False, level_embed=True,
                        drop_path_rate=None)))
