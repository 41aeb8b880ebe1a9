"""Batch-level augmentations of Source-GtA pretraining (Generalize-then-Adapt).

Registered in :data:`GTA_AUGMENTATIONS`; every one maps a float ``[B, 3, H, W]`` RGB
batch in ``[0, 255]`` to another, inside the segmentor's ``forward_train``.
"""
from .adain import AdaINStyleTransfer, build_adain_decoder, build_vgg_encoder
from .albu import AlbumentationsAugmentation
from .alternative_effects import Cartoonize, RandomFrost
from .base import BatchAugmentation
from .builder import GTA_AUGMENTATIONS, build_gta_augmentation
from .fourier import (FDANoiseAmplitude, FDARandomAmplitude, FDAStyleSwap,
                      conjugate_partners, low_freq_amplitude, low_freq_mask,
                      replace_low_freq_amplitude)
from .groups import AugmentationGroups
from .imgaug_ports import CartoonStylize, CorruptionFrost, CorruptionSnow
from .pixel_space import from_rgb_pixels, to_rgb_pixels
from .random_weights import write_random_weights, write_style_images
from .style_augmentor import LearntStyleAugmentor, StyleAugmentorNet, StylePredictorNet
from .style_bank import StyleBank
from .style_checkpoints import convert_style_augmentation_files
from .style_images import StyleImageFolder

__all__ = [
    'GTA_AUGMENTATIONS', 'build_gta_augmentation', 'BatchAugmentation',
    'AugmentationGroups', 'StyleBank', 'StyleImageFolder', 'FDARandomAmplitude',
    'FDANoiseAmplitude', 'FDAStyleSwap',
    'low_freq_mask', 'low_freq_amplitude', 'replace_low_freq_amplitude', 'conjugate_partners',
    'AdaINStyleTransfer', 'build_vgg_encoder', 'build_adain_decoder',
    'LearntStyleAugmentor', 'StyleAugmentorNet', 'StylePredictorNet',
    'convert_style_augmentation_files', 'AlbumentationsAugmentation', 'RandomFrost',
    'Cartoonize', 'CorruptionSnow', 'CorruptionFrost', 'CartoonStylize', 'to_rgb_pixels',
    'from_rgb_pixels', 'write_random_weights', 'write_style_images'
]
