"""Procedural toy benchmark: GTA-like source and Cityscapes-like target scenes, and
adverse-condition variants of the target in ACDC's and Dark Zurich's layouts."""
from .adverse import (ADVERSE_MARKER_NAME, CONDITIONS, adverse_paths,
                      generate_toy_adverse_data, render_adverse)
from .domains import DOMAINS, SOURCE, TARGET, Domain
from .generate import (CITIES, MARKER_NAME, generate_toy_data, render_sample,
                       sample_paths, toy_data_is_complete)

__all__ = [
    'DOMAINS', 'SOURCE', 'TARGET', 'Domain', 'CITIES', 'MARKER_NAME',
    'generate_toy_data', 'render_sample', 'sample_paths', 'toy_data_is_complete',
    'ADVERSE_MARKER_NAME', 'CONDITIONS', 'adverse_paths', 'generate_toy_adverse_data',
    'render_adverse'
]
