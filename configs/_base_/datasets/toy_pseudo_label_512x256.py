# The toy target train split the toy source model labels, whole image at 512x256.
# Toy equivalent of cityscapes_pseudo_label_1024x512.py.
_base_ = ['./toy_val_512x256.py']
data = dict(
    pseudo_label=dict(
        type='UVPTCityscapesDataset',
        data_root={{_base_.toy_target_root}},
        img_dir='leftImg8bit/train',
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
