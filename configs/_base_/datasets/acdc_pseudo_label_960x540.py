# The ACDC train images of all four conditions (1600, labels not used) labelled whole
# by the source model at 960x540, single scale.
_base_ = ['./acdc_val_960x540.py']
data = dict(
    pseudo_label=dict(
        type='ACDCDataset',
        data_root={{_base_.acdc_root}},
        subset='train',
        conditions='all',
        ann_dir=None,
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
