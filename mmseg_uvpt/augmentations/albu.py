"""Per-image albumentations effects (snow, fog, frost, cartoon) on a training batch."""
import copy

import albumentations as A
import numpy as np
import torch

from .alternative_effects import Cartoonize, RandomFrost
from .base import BatchAugmentation
from .builder import GTA_AUGMENTATIONS
from .imgaug_ports import CartoonStylize, CorruptionFrost, CorruptionSnow

# the project's transforms, by name: the release's ports, then the alternatives
CUSTOM_TRANSFORMS = {cls.__name__: cls for cls in (CorruptionSnow, CorruptionFrost,
                                                   CartoonStylize, RandomFrost, Cartoonize)}


def build_albumentations_transform(cfg):
    """``dict(type=name, **kwargs)`` -> transform; project transforms first, then albumentations."""
    cfg = copy.deepcopy(cfg)
    name = cfg.pop('type')
    cls = CUSTOM_TRANSFORMS.get(name) or getattr(A, name, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, A.BasicTransform):
        raise KeyError(f'{name!r} is neither an albumentations transform nor one of '
                       f'{sorted(CUSTOM_TRANSFORMS)}')
    # the Source-GtA group draw already decided to augment: always apply
    cfg['p'] = 1.0
    return cls(**cfg)


@GTA_AUGMENTATIONS.register_module()
class AlbumentationsAugmentation(BatchAugmentation):
    """Apply an albumentations image transform to every image of the batch.

    These effects are CPU/numpy code written for uint8 images, so each image is
    rounded to uint8, moved to the CPU, transformed and moved back (the 1/255
    quantisation is below the effects' own noise). The transform is re-seeded from
    torch's global generator at each call, so the training seed governs it.

    Args:
        transform (dict): ``dict(type=<name>, **kwargs)``: an albumentations
            transform (e.g. ``RandomSnow``, ``RandomFog``) or a project one: from
            :mod:`.imgaug_ports`, the release's (``CorruptionSnow``,
            ``CorruptionFrost``, ``CartoonStylize``), or from
            :mod:`.alternative_effects` (``RandomFrost``, ``Cartoonize``). ``p`` is
            forced to 1.
    """

    def __init__(self, transform):
        self.cfg = copy.deepcopy(transform)
        self.transform = build_albumentations_transform(transform)

    def apply(self, img):
        self.transform.set_random_seed(int(torch.randint(2**31 - 1, ())))
        pixels = img.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        out = np.stack([self.transform(image=np.ascontiguousarray(p))['image'] for p in pixels])
        return torch.from_numpy(out).to(img.device).permute(0, 3, 1, 2).to(img.dtype)

    def __repr__(self):
        return f'AlbumentationsAugmentation({self.cfg})'
