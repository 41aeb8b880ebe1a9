# Class weights of the Source-GtA cross-entropy: the release's one fixed list, the
# same for GTA5 and SYNTHIA (the three classes SYNTHIA lacks never occur there, so
# their weights do nothing). Cityscapes train-id order: road, sidewalk, building, wall,
# fence, pole, traffic light, traffic sign, vegetation, terrain, sky, person, rider,
# car, truck, bus, train, motorcycle, bicycle.
# Inherited through source-gta_segmentor.py by source-gta_<backbone>.py, which sets
# it as model.train_cfg.class_weight; model.train_cfg.class_weight_file (a
# converter's sample_class_stats.json) replaces it with weights computed from the
# data (1 / ln(1.02 + class share), normalised).
gta_class_weight = [
    0.8373, 0.918, 0.866, 1.0345, 1.0166, 0.9969, 0.9754, 1.0489, 0.8786, 1.0023,
    0.9539, 0.9843, 1.1116, 0.9037, 1.0865, 1.0955, 1.0865, 1.1529, 1.0507
]
