# The MiT-B5 source model as pretraining starts it: the backbone from ImageNet weights
# (tools/model_converters/mit2mmseg.py), the head at random. Every pretraining config,
# standard (directly) and Source-GtA (through source-gta_mit-b5.py), builds on it.
_base_ = ['./daformer_mit-b5.py']
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # daformer_mit-b5.py has init_cfg=None
            type='Pretrained',
            checkpoint='model/mit_b5.pth')))
