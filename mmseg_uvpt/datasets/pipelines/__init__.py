from .crop_with_box import RandomCropWithBox

__all__ = ['RandomCropWithBox']
