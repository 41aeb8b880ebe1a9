"""Random stand-ins for the augmentation networks' weight files (tests, smoke runs)."""
import os

import numpy as np
import torch
from PIL import Image

from mmseg_uvpt.checkpoints import atomic_save

from .adain import DECODER_FILE, VGG_FILE, build_adain_decoder, build_vgg_encoder
from .style_augmentor import (PREDICTOR_FILE, WEIGHTS_FILE, StyleAugmentorNet,
                              StylePredictorNet)

STYLE_DIR = 'styles'
NUM_STYLE_IMAGES = 3


def write_style_images(folder, seed=0, num=NUM_STYLE_IMAGES, size=(96, 64)):
    """Write ``num`` random colour-blob pictures as stand-in style images.

    Returns:
        list[str]: the written files.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(num):
        # a coarse random colour grid, upsampled: smooth, distinct colour statistics
        coarse = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize(size, Image.BILINEAR)
        paths.append(os.path.join(folder, f'style_{i}.png'))
        img.save(paths[-1])
    return paths


def write_random_weights(model_dir, seed=0, overwrite=False):
    """Write randomly initialised weight files in the layout the augmentations read,
    and stand-in style images in ``model_dir/styles``.

    The images they produce are noise-like, not styles: only for tests and smoke runs.

    Args:
        model_dir (str): target folder (created).
        seed (int): seed of the initialisation (the global RNG is left untouched).
        overwrite (bool): replace existing files (off by default so real weights are
            never clobbered by mistake).

    Returns:
        dict[str, str]: ``{'styles', 'vgg', 'decoder', 'style_augmentor',
        'style_predictor'}`` -> written path (a folder for ``styles``).
    """
    # the newest files first: a folder from before they existed still gets them
    nets = dict(style_predictor=(PREDICTOR_FILE, StylePredictorNet),
                vgg=(VGG_FILE, build_vgg_encoder),
                decoder=(DECODER_FILE, build_adain_decoder),
                style_augmentor=(WEIGHTS_FILE, StyleAugmentorNet))
    paths = dict(styles=os.path.join(model_dir, STYLE_DIR))
    if not os.path.isdir(paths['styles']) or overwrite:
        write_style_images(paths['styles'], seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for key, (filename, build) in nets.items():
            path = os.path.join(model_dir, filename)
            paths[key] = path
            if os.path.exists(path) and not overwrite:
                raise FileExistsError(f'{path} exists; pass overwrite=True to replace it')
            atomic_save(build().state_dict(), path)
    return paths
