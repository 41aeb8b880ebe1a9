from .fused_attention import fuse_attention_
from .mit_prompt import MiTPrompt
from .simple_pyramid import SimpleFeaturePyramid
from .swin_prompt import SwinPrompt
from .vit_prompt import ViTPrompt

__all__ = ['MiTPrompt', 'SimpleFeaturePyramid', 'SwinPrompt', 'ViTPrompt',
           'fuse_attention_']
