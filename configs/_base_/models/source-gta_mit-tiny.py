# Source-GtA source model, tiny MiT (CPU tests, toy benchmark): one backbone,
# the global DAFormer head (decode_head: the only head at test time, so
# backbone.* + decode_head.* load like a standard source model) and one head per
# augmentation group (aug_heads.*).
# source-gta_segmentor.py brings the aug groups, class weights and
# find_unused_parameters; the model dict stays here (that file says why).
_base_ = ['./daformer_mit-tiny.py', './source-gta_segmentor.py']
model = dict(
    type='SourceGtASegmentor',
    aug_groups={{_base_.gta_aug_groups}},
    aug_head=None,  # None: a copy of decode_head
    aug_model_dir='model',  # AdaIN and style-augmentor weights (model/README.md)
    # class-weighted cross-entropy on every head: the release's fixed weights;
    # train_cfg.class_weight_file='data/<set>/sample_class_stats.json' computes them
    # from the source set instead
    train_cfg=dict(class_weight={{_base_.gta_class_weight}}, class_weight_file=None))
