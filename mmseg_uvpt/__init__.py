"""Uni-UVPT as an mmsegmentation 0.x plug-in.

Importing this package applies the mmcv/torch-2.x compatibility fixes and registers
the project's datasets, pipeline steps, models, hooks and runner into the mmseg/mmcv
registries. Configs load it with ``custom_imports = dict(imports=['mmseg_uvpt'])``.
"""
from .utils import compat

compat.apply()

# registration side effects
from . import augmentations, correction, datasets, models, ops  # noqa: E402,F401
from . import core, runtime  # noqa: E402,F401

__version__ = '0.1.0'
