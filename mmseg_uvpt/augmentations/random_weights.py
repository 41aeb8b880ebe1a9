"""Random stand-ins for the augmentation networks' weight files (tests, smoke runs)."""
import os

import torch

from mmseg_uvpt.utils import atomic_save

from .adain import DECODER_FILE, VGG_FILE, build_adain_decoder, build_vgg_encoder
from .style_augmentor import WEIGHTS_FILE, StyleAugmentorNet


def write_random_weights(model_dir, seed=0, overwrite=False):
    """Write randomly initialised weight files in the layout the augmentations read.

    The images they produce are noise-like, not styles: only for tests and smoke runs.

    Args:
        model_dir (str): target folder (created).
        seed (int): seed of the initialisation (the global RNG is left untouched).
        overwrite (bool): replace existing files (off by default so real weights are
            never clobbered by mistake).

    Returns:
        dict[str, str]: ``{'vgg', 'decoder', 'style_augmentor'}`` -> written path.
    """
    nets = dict(vgg=(VGG_FILE, build_vgg_encoder),
                decoder=(DECODER_FILE, build_adain_decoder),
                style_augmentor=(WEIGHTS_FILE, StyleAugmentorNet))
    paths = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for key, (filename, build) in nets.items():
            path = os.path.join(model_dir, filename)
            paths[key] = path
            if os.path.exists(path) and not overwrite:
                raise FileExistsError(f'{path} exists; pass overwrite=True to replace it')
            atomic_save(build().state_dict(), path)
    return paths
