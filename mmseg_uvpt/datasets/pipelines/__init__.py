from .corrected_annotations import LoadCorrectedAnnotations
from .crop_with_box import RandomCropWithBox

__all__ = ['LoadCorrectedAnnotations', 'RandomCropWithBox']
