# Source-GtA pretraining (DESIGN §3.7): the standard recipe over 40k iterations.
_base_ = ['./pretrain_standard_400k.py']
runner = dict(max_iters=40000)
checkpoint_config = dict(interval=4000)
evaluation = dict(interval=4000)
