# What every Source-GtA source model (source-gta_<backbone>.py: mit-b5, swin-b and the
# tiny mit-tiny, swin-tiny) adds to its backbone's model, apart from the model dict:
# the augmentation groups (source-gta_aug-groups.py), the class weights
# (source-gta_class-weights.py) and the DDP setting below. Each source-gta_<backbone>.py
# inherits it beside its daformer_<backbone> base and reads gta_aug_groups and
# gta_class_weight from it as {{_base_.gta_aug_groups}}, {{_base_.gta_class_weight}}.
# The model dict itself (type='SourceGtASegmentor', ...) cannot live here: mmcv
# refuses a key (model) that two bases of one file both define, and a base merges
# nothing into a sibling, so each source-gta_<backbone>.py writes it over its backbone.
_base_ = ['./source-gta_aug-groups.py', './source-gta_class-weights.py']
# each iteration one group head is held out and gets no gradient (DDP must allow it)
find_unused_parameters = True
