from .fused_attention import fuse_attention_
from .mit_prompt import MiTPrompt
from .swin_prompt import SwinPrompt

__all__ = ['MiTPrompt', 'SwinPrompt', 'fuse_attention_']
