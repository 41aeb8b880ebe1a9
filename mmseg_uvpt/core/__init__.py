"""mmcv extensions registered for the configs, where mmseg 0.x keeps its own
(``mmseg/core``): the optimizer constructor and the training hooks. The correction
hook has its own package, :mod:`mmseg_uvpt.correction`."""
from .hooks import NonFiniteLossError, NonFiniteLossHook, UVPTDistEvalHook, UVPTEvalHook
from .optimizer_constructor import UVPTOptimizerConstructor

__all__ = [
    'NonFiniteLossError', 'NonFiniteLossHook', 'UVPTDistEvalHook', 'UVPTEvalHook',
    'UVPTOptimizerConstructor'
]
