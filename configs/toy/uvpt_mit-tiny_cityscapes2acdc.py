# Toy Cityscapes -> ACDC, stage 3: Uni-UVPT adaptation of the toy Cityscapes source
# model on the toy ACDC train split (96 images, all four conditions) with its
# pseudo-labels; also the config to test the adapted model with (per-condition
# means). Model and schedule of uvpt_mit-tiny.py; the correction's first check comes
# after one epoch (96 iterations), when the queue of 50 is full.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/models/uvpt_daformer_mit-tiny.py',
    '../_base_/datasets/toy_acdc_512x256.py', '../_base_/schedules/toy_uvpt_200.py'
]
log_config = dict(interval=20)
source_checkpoint = 'work_dirs/toy_acdc/pretrain/latest.pth'
data = dict(train=dict(pseudo_label_dir='work_dirs/toy_acdc/pseudo_labels'))
