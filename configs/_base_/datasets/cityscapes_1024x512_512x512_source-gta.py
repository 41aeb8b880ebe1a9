# Cityscapes for Source-GtA pretraining: cityscapes_1024x512_512x512.py without the
# photometric distortion; the batch augmentations of the Source-GtA segmentor take its
# place.
# Class weights: the Source-GtA model bases train with the release's fixed list
# (source-gta_class-weights.py, model.train_cfg.class_weight), as the GTA5 and SYNTHIA
# Source-GtA runs do, so no file is needed. Weights from Cityscapes' own statistics
# would need model.train_cfg.class_weight_file=<a stats file of gtFine/train only>:
# tools/convert_datasets/cityscapes.py writes data/cityscapes/sample_class_stats.json,
# but it counts every split it converts (train, val and test under gtFine/), so that
# file would fold Cityscapes val labels, this source model's evaluation set, into the
# weights.
_base_ = ['./cityscapes_1024x512_512x512.py']
data = dict(train=dict(pipeline={{_base_.source_gta_train_pipeline}}))
