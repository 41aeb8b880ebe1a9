from .source_gta import SourceGtASegmentor  # noqa: F401  (H6)
from .uvpt_segmentor import UVPTSegmentor

__all__ = ['UVPTSegmentor']
