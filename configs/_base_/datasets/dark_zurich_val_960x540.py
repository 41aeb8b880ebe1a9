# Dark Zurich val (50 night images), evaluated as the UDA works do (MIC, HRDA,
# Refign): whole image resized to 960x540, single scale, 19 classes, every labelled
# pixel counted (as mmseg's DarkZurichDataset). For the test server: test.py CONFIG
# CKPT --format-only --cfg-options data.test.subset=test (writes the submission zip,
# see mmseg_uvpt/datasets/submission.py).
_base_ = ['./acdc_val_960x540.py']
dark_zurich_root = 'data/dark_zurich/'
dark_zurich_val = dict(
    type='UVPTDarkZurichDataset',
    data_root=dark_zurich_root,
    subset='val',
    pipeline={{_base_.test_pipeline}})
data = dict(
    val=dict(_delete_=True, **dark_zurich_val),
    test=dict(_delete_=True, **dark_zurich_val))
