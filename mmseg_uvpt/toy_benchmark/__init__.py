"""Procedural toy benchmark: GTA-like source and Cityscapes-like target scenes."""
from .domains import DOMAINS, SOURCE, TARGET, Domain
from .generate import (CITIES, MARKER_NAME, generate_toy_data, render_sample,
                       sample_paths, toy_data_is_complete)

__all__ = [
    'DOMAINS', 'SOURCE', 'TARGET', 'Domain', 'CITIES', 'MARKER_NAME',
    'generate_toy_data', 'render_sample', 'sample_paths', 'toy_data_is_complete'
]
