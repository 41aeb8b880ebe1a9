# Source-GtA source model, MiT-B5: one backbone, the global DAFormer head
# (decode_head: the only head at test time, so backbone.* + decode_head.* load like a
# standard source model) and one head per augmentation group (aug_heads.*);
# the backbone starts from ImageNet weights (pretraining is its only use).
# source-gta_segmentor.py brings the aug groups, class weights and
# find_unused_parameters; the model dict stays here (that file says why).
_base_ = ['./daformer_mit-b5_imagenet.py', './source-gta_segmentor.py']
model = dict(
    type='SourceGtASegmentor',
    aug_groups={{_base_.gta_aug_groups}},
    aug_head=None,  # None: a copy of decode_head
    aug_model_dir='model',  # AdaIN and style-augmentor weights (model/README.md)
    # class-weighted cross-entropy on every head: the release's fixed weights;
    # train_cfg.class_weight_file='data/<set>/sample_class_stats.json' computes them
    # from the source set instead
    train_cfg=dict(class_weight={{_base_.gta_class_weight}}, class_weight_file=None))
