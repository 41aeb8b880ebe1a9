# Run swin-b_standard_synthia2cityscapes, computing as the reference release
# (docs/fidelity.md):
# test its converted checkpoint (tools/model_converters/uvpt_release2mmseg.py)
# model/release/swin-b_standard_synthia2cityscapes.pth with this config, as
# `launcher_test.py --release` does.
# The release hands the prompts from before each extractor to the next stage.
_base_ = ['../swin-b_standard_synthia2cityscapes.py']
model = dict(backbone=dict(prompt_cfg=dict(prompt_handover='input')))
