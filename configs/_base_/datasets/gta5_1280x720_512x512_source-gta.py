# GTA5 for Source-GtA pretraining: gta5_1280x720_512x512.py without the photometric
# distortion; the batch augmentations of the Source-GtA segmentor take its place.
_base_ = ['./gta5_1280x720_512x512.py']
data = dict(train=dict(pipeline={{_base_.source_gta_train_pipeline}}))
