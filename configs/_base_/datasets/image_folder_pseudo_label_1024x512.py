# One's own unlabelled images as the target: every .png/.jpg/.jpeg under the folder,
# recursive and sorted (ImageFolderDataset), labelled whole by the source model after
# the same resize as Cityscapes (to fit 1024x512, aspect kept), single scale.
# Leaves (or --cfg-options) set data.pseudo_label.img_dir.
_base_ = ['./cityscapes_val_1024x512.py']
data = dict(
    pseudo_label=dict(
        type='ImageFolderDataset',
        img_dir=None,
        pipeline={{_base_.test_pipeline}},
        test_mode=True))
