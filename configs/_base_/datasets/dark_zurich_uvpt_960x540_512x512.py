# Uni-UVPT adaptation on the Dark Zurich night train images with the source model's
# pseudo-labels: the steps of acdc_uvpt_960x540_512x512.py (960x540, 512x512 crops,
# batch 1), evaluated on Dark Zurich val (as dark_zurich_val_960x540.py; mmcv takes
# no two bases that share keys). Leaves set data.train.pseudo_label_dir.
_base_ = ['./acdc_uvpt_960x540_512x512.py']
dark_zurich_root = 'data/dark_zurich/'
dark_zurich_val = dict(
    type='UVPTDarkZurichDataset',
    data_root=dark_zurich_root,
    subset='val',
    pipeline={{_base_.test_pipeline}})
data = dict(
    train=dict(
        _delete_=True,
        type='PseudoLabelDarkZurichDataset',
        data_root=dark_zurich_root,
        subset='train',
        conditions='night',
        pseudo_label_dir=None,
        pipeline={{_base_.uvpt_train_pipeline}}),
    val=dict(_delete_=True, **dark_zurich_val),
    test=dict(_delete_=True, **dark_zurich_val))
