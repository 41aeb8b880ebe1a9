# Run mit-b5_source-gta_gta52cityscapes, computing as the reference release
# (docs/fidelity.md):
# test its converted checkpoint (tools/model_converters/uvpt_release2mmseg.py)
# model/release/mit-b5_source-gta_gta52cityscapes.pth with this config, as
# `launcher_test.py --release` does.
# The release hands the prompts from before each extractor to the next stage,
# and its MiT-B5 adds no level embedding (it saves one but never uses it).
_base_ = ['../mit-b5_source-gta_gta52cityscapes.py']
model = dict(
    backbone=dict(prompt_cfg=dict(prompt_handover='input', level_embed=False)))
