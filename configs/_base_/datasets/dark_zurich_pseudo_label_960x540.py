# The Dark Zurich night train images (2416, unlabelled) labelled whole by the source
# model at 960x540, single scale.
_base_ = ['./dark_zurich_val_960x540.py']
data = dict(
    pseudo_label=dict(
        type='UVPTDarkZurichDataset',
        data_root={{_base_.dark_zurich_root}},
        subset='train',
        conditions='night',
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
