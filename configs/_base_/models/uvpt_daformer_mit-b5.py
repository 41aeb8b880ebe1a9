# Adaptation model: frozen MiT-B5 with the prompt adapter + DAFormer head, trained by
# the multi-scale UVPTSegmentor. Backbone and head come from a source checkpoint
# (mmseg_uvpt.utils.source_checkpoint.load_source_checkpoint); the adapter and the
# mixture logits start fresh. Every switch not set here keeps the default of
# UVPTSegmentor / MiTPrompt / PromptAdapter, spelled out in uvpt_daformer_swin-b.py.
_base_ = ['./daformer_mit-b5.py']
model = dict(
    type='UVPTSegmentor',
    prompt_consistency_clamp=True,
    amp_dtype=None,
    backbone=dict(
        type='MiTPrompt',
        frozen_drop_path=True,
        prompt_cfg=dict(prompt_handover='updated', with_cp=False)))
