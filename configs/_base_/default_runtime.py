# Shared runtime of every mmseg_uvpt config.
# The plug-in registers its datasets, models and hooks into mmseg's registries.
custom_imports = dict(imports=['mmseg_uvpt'], allow_failed_imports=False)

log_config = dict(
    interval=50,
    hooks=[
        dict(type='TextLoggerHook', by_epoch=False),
        dict(type='TensorboardLoggerHook', by_epoch=False),
    ])
dist_params = dict(backend='nccl')
log_level = 'INFO'
load_from = None
resume_from = None
workflow = [('train', 1)]
cudnn_benchmark = True
