"""Style images read from a folder (AdaIN's and FDA's style sources)."""
import os

import numpy as np
from PIL import Image

from .base import randint

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')


class StyleImageFolder:
    """The images of one folder, drawn uniformly with the global torch generator.

    The files are sorted by name, so a seed picks the same styles on every machine.
    Decoded images are kept: a style set is a few dozen pictures.

    Args:
        folder (str): folder holding the style images (not searched recursively).
    """

    def __init__(self, folder):
        if not os.path.isdir(folder):
            raise FileNotFoundError(
                f'style image folder {folder} is missing: put style pictures there (the '
                'release used the pytorch-AdaIN input/style set, see model/README.md)')
        self.folder = folder
        self.paths = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                            if name.lower().endswith(IMAGE_EXTENSIONS))
        if not self.paths:
            raise FileNotFoundError(f'style image folder {folder} holds no image '
                                    f'({", ".join(IMAGE_EXTENSIONS)})')
        self._images = {}

    def __len__(self):
        return len(self.paths)

    def draw(self, num):
        """``num`` indices, each uniform over all the files."""
        return randint(len(self.paths), (num,)).tolist()

    def image(self, index):
        """The RGB PIL image of file ``index``."""
        if index not in self._images:
            with Image.open(self.paths[index]) as img:
                self._images[index] = img.convert('RGB')
        return self._images[index]


def resize_shorter_side(img, size):
    """Bilinear resize of a PIL image so that its shorter side is ``size`` pixels
    (the rule of torchvision's ``Resize(size)``; the longer side is truncated)."""
    width, height = img.size
    if width <= height:
        new_size = (size, int(size * height / width))
    else:
        new_size = (int(size * width / height), size)
    return img.resize(new_size, Image.BILINEAR)


def to_float_array(img):
    """PIL RGB image -> float32 ``[3, H, W]`` array in [0, 255]."""
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1).copy()


def style_folder_or_none(model_dir, style_dir):
    """:class:`StyleImageFolder` of ``style_dir`` (relative to ``model_dir`` unless
    absolute), or None without ``style_dir``."""
    if style_dir is None:
        return None
    return StyleImageFolder(style_dir if os.path.isabs(style_dir)
                            else os.path.join(model_dir, style_dir))


def describe_style_source(styles, bank):
    """``style_dir=...`` or ``bank_size=...``, for the augmentations' repr."""
    return f'style_dir={styles.folder}' if styles is not None else f'bank_size={bank.size}'
