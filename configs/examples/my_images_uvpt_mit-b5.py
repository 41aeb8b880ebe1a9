# Your own unlabelled images, stage 3: Uni-UVPT adaptation of the MiT-B5 Source-GtA
# GTA5 source model on data/my_images with the pseudo-labels of
# my_images_pseudo_label_mit-b5.py; the recipe and LR of
# configs/uvpt/mit-b5_source-gta_gta52cityscapes.py (80k iterations at batch 1; fewer
# with --cfg-options runner.max_iters=N). Without labels, train with --no-validate.
# With a labelled folder mirroring its images, evaluate on it by setting data.val
# and data.test: img_dir, ann_dir and label_format ('trainIds' or 'cityscapes_ids').
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_mit-b5.py',
    '../_base_/datasets/image_folder_uvpt_1024x512_512x512.py',
    '../_base_/schedules/uvpt_80k.py'
]
source_checkpoint = 'model/mit-b5_source-gta_gta5.pth'
data = dict(
    train=dict(img_dir='data/my_images',
               pseudo_label_dir='data/pseudo_labels/my_images'))
optimizer = dict(lr=4e-06)
