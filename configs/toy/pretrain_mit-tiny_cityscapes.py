# Toy Cityscapes -> ACDC, stage 1: the tiny MiT source model trained on the toy
# target's labelled train split (Cityscapes layout: the toy "Cityscapes"), with the
# toy source pipeline and schedule of pretrain_mit-tiny.py, evaluated on the toy
# Cityscapes val split. Run folders read by the configs *_cityscapes2acdc.py:
# python pretrain.py configs/toy/pretrain_mit-tiny_cityscapes.py
#     --work-dir work_dirs/toy_acdc/pretrain
_base_ = ['./pretrain_mit-tiny.py']
data = dict(
    train=dict(
        _delete_=True,
        type='UVPTCityscapesDataset',
        data_root={{_base_.toy_target_root}},
        img_dir='leftImg8bit/train',
        ann_dir='gtFine/train',
        pipeline={{_base_.toy_source_train_pipeline}}))
