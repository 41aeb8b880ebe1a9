# Uni-UVPT adaptation on one's own images with the source model's pseudo-labels: the
# Cityscapes recipe (resize to fit 1024x512, random 512x512 crop that records its
# box, flip, photometric distortion, batch 1) on PseudoLabelImageFolderDataset.
# Leaves (or --cfg-options) set data.train.img_dir and data.train.pseudo_label_dir.
# Evaluation needs a labelled folder mirroring the images: set data.val.img_dir and
# data.val.ann_dir (label_format 'trainIds', or 'cityscapes_ids' converted on load),
# and the same for data.test; without one, train with --no-validate.
_base_ = ['./cityscapes_uvpt_1024x512_512x512.py']
image_folder_val = dict(
    type='ImageFolderDataset',
    img_dir=None,
    ann_dir=None,
    label_format='trainIds',
    pipeline={{_base_.test_pipeline}})
data = dict(
    train=dict(
        _delete_=True,
        type='PseudoLabelImageFolderDataset',
        img_dir=None,
        pseudo_label_dir=None,
        pipeline={{_base_.uvpt_train_pipeline}}),
    val=dict(_delete_=True, **image_folder_val),
    test=dict(_delete_=True, **image_folder_val))
