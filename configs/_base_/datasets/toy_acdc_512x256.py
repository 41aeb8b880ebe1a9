# The toy ACDC layout (tools/generate_toy_data.py --adverse: the toy target's scenes
# in fog, night, rain and snow, train ids and invalid masks as ACDC ships them) at
# the toy's 512x256: train (all four conditions) with pseudo-labels and the toy
# adaptation pipeline, val (all four, per-condition means) whole image, and the train
# images for pseudo-labelling. Toy equivalent of acdc_{uvpt,val,pseudo_label}_*.py.
# Leaves set data.train.pseudo_label_dir.
_base_ = ['./toy_uvpt_512x256.py']
toy_acdc_root = 'data/toy/acdc/'
toy_acdc_val = dict(
    type='ACDCDataset',
    data_root=toy_acdc_root,
    subset='val',
    conditions='all',
    pipeline={{_base_.test_pipeline}})
data = dict(
    train=dict(
        _delete_=True,
        type='PseudoLabelACDCDataset',
        data_root=toy_acdc_root,
        subset='train',
        conditions='all',
        pseudo_label_dir=None,
        pipeline={{_base_.toy_uvpt_train_pipeline}}),
    val=dict(_delete_=True, **toy_acdc_val),
    test=dict(_delete_=True, **toy_acdc_val),
    pseudo_label=dict(
        type='ACDCDataset',
        data_root=toy_acdc_root,
        subset='train',
        conditions='all',
        ann_dir=None,
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
