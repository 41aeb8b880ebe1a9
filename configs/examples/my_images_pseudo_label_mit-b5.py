# Your own unlabelled images, stage 2: the MiT-B5 Source-GtA GTA5 source model (the
# best released MiT-B5 source, 53.0 on Cityscapes val; any MiT-B5 source model of
# this project fits) labels every .png/.jpg/.jpeg under data/my_images (any depth),
# resized to fit 1024x512 as Cityscapes is. README "Adapt to your own images".
# Other folders: --cfg-options data.pseudo_label.img_dir=DIR, or edit the lines below.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/daformer_mit-b5.py',
    '../_base_/datasets/image_folder_pseudo_label_1024x512.py'
]
source_checkpoint = 'model/mit-b5_source-gta_gta5.pth'
pseudo_label_dir = 'data/pseudo_labels/my_images'
data = dict(pseudo_label=dict(img_dir='data/my_images'))
