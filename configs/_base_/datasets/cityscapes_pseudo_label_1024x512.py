# The target train split the source model labels (docs/method.md §6): Cityscapes train
# images, resized to 1024x512 whole, single scale, no labels needed.
_base_ = ['./cityscapes_val_1024x512.py']
data = dict(
    pseudo_label=dict(
        type='UVPTCityscapesDataset',
        data_root={{_base_.cityscapes_root}},
        img_dir='leftImg8bit/train',
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
