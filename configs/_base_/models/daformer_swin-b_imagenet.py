# The Swin-B source model as pretraining starts it: the backbone from ImageNet weights
# (tools/model_converters/swin2mmseg.py), the head at random. Every pretraining config,
# standard (directly) and Source-GtA (through source-gta_swin-b.py), builds on it.
_base_ = ['./daformer_swin-b.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # daformer_swin-b.py has init_cfg=None
            type='Pretrained',
            checkpoint='model/swin_base_patch4_window7_224.pth')))
