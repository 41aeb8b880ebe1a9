"""AdaIN style transfer (Huang & Belongie, ICCV 2017) as a batch augmentation.

Networks: the normalised VGG-19 encoder up to ``relu4_1`` and its mirrored decoder.
Layer indices match the widely published ``vgg_normalised.pth`` / ``decoder.pth``
files (``nn.Sequential`` state dicts), so those load unchanged. Both take and give
RGB images in ``[0, 1]``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import BatchAugmentation, uniform
from .builder import GTA_AUGMENTATIONS
from .style_bank import StyleBank
from .style_images import (describe_style_source, resize_shorter_side,
                           style_folder_or_none, to_float_array)
from .weights import DeviceCache, load_network_weights, resolve_weight_file

VGG_FILE = 'adain/vgg_normalised.pth'
DECODER_FILE = 'adain/decoder.pth'

# VGG-19 up to relu4_1: output channels of each 3x3 conv, 'M' = 2x2 max-pool
_ENCODER_PLAN = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512)
# decoder: (in, out) of each 3x3 conv, 'U' = 2x nearest upsampling; no ReLU after the last
_DECODER_PLAN = ((512, 256), 'U', (256, 256), (256, 256), (256, 256), (256, 128), 'U',
                 (128, 128), (128, 64), 'U', (64, 64), (64, 3))


def _conv3x3(in_channels, out_channels, relu=True):
    layers = [nn.ReflectionPad2d(1), nn.Conv2d(in_channels, out_channels, 3)]
    return layers + [nn.ReLU()] if relu else layers


def build_vgg_encoder():
    """Normalised VGG-19 to ``relu4_1`` (31 layers; a leading 1x1 conv normalises)."""
    layers, channels = [nn.Conv2d(3, 3, 1)], 3
    for item in _ENCODER_PLAN:
        if item == 'M':
            layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
        else:
            layers += _conv3x3(channels, item)
            channels = item
    return nn.Sequential(*layers)


def build_adain_decoder():
    """The AdaIN decoder: ``relu4_1`` features (512 channels) back to an RGB image."""
    layers = []
    for i, item in enumerate(_DECODER_PLAN):
        if item == 'U':
            layers.append(nn.Upsample(scale_factor=2, mode='nearest'))
        else:
            layers += _conv3x3(*item, relu=i < len(_DECODER_PLAN) - 1)
    return nn.Sequential(*layers)


def channel_stats(feat, eps=1e-5):
    """Per-channel mean and std over space: two ``[B, C]`` tensors.

    The variance is the unbiased one, plus ``eps``, as in the AdaIN authors' code
    (which the published decoder was trained with).
    """
    flat = feat.flatten(2)
    return flat.mean(-1), (flat.var(-1, unbiased=True) + eps).sqrt()


def adaptive_instance_norm(feat, style_mean, style_std):
    """Re-normalise ``feat`` ``[B, C, h, w]`` to the given per-channel statistics."""
    mean, std = channel_stats(feat)
    normalised = (feat - mean[..., None, None]) / std[..., None, None]
    return normalised * style_std[..., None, None] + style_mean[..., None, None]


@GTA_AUGMENTATIONS.register_module()
class AdaINStyleTransfer(BatchAugmentation):
    """Re-render each image with the feature statistics of a style image.

    With ``style_dir`` each image takes a picture drawn uniformly from that folder,
    its shorter side resized to ``style_size`` (the release: 512), as the release
    does; the statistics of each file are computed once. Without it the style is
    another image of the batch or statistics remembered from earlier batches
    (:class:`StyleBank`). ``alpha`` blends the stylised and the content features as
    in AdaIN (1: full style).

    Args:
        model_dir (str): folder holding the weight files.
        vgg_weights (str): encoder weights, relative to ``model_dir``.
        decoder_weights (str): decoder weights, relative to ``model_dir``.
        alpha_range (tuple[float, float]): range of the per-image style strength;
            ``(a, a)`` for a fixed strength.
        style_dir (str, optional): folder of style images, relative to ``model_dir``
            unless absolute.
        style_size (int): shorter side of the style images, in pixels.
        bank_size (int): without ``style_dir``: earlier images' statistics to remember.
    """

    uses_model_dir = True

    def __init__(self, model_dir='model', vgg_weights=VGG_FILE, decoder_weights=DECODER_FILE,
                 alpha_range=(0.5, 1.0), style_dir=None, style_size=512, bank_size=8):
        self.vgg_path = resolve_weight_file(model_dir, vgg_weights)
        self.decoder_path = resolve_weight_file(model_dir, decoder_weights)
        # the published VGG file holds all of VGG-19; only the layers to relu4_1 are used
        self.encoder = DeviceCache(load_network_weights(
            build_vgg_encoder(), self.vgg_path, 'AdaIN VGG encoder', allow_extra=True))
        self.decoder = DeviceCache(load_network_weights(
            build_adain_decoder(), self.decoder_path, 'AdaIN decoder'))
        self.alpha_range = tuple(alpha_range)
        self.styles = style_folder_or_none(model_dir, style_dir)
        self.style_size = style_size
        self.bank = StyleBank(bank_size)
        self._style_stats = {}  # file index -> [2, 512] (mean, std), CPU

    def style_stats(self, index, device):
        """``[2, 512]`` relu4_1 mean and std of style file ``index``."""
        if index not in self._style_stats:
            style = resize_shorter_side(self.styles.image(index), self.style_size)
            pixels = torch.from_numpy(to_float_array(style))[None].to(device) / 255.0
            mean, std = channel_stats(self.encoder.on(device)(pixels))
            self._style_stats[index] = torch.cat([mean, std]).cpu()
        return self._style_stats[index]

    def apply(self, img):
        content = self.encoder.on(img.device)(img / 255.0)
        mean, std = channel_stats(content)
        if self.styles is None:
            style = self.bank.partners(torch.stack([mean, std], dim=1))
        else:
            style = torch.stack([self.style_stats(i, img.device)
                                 for i in self.styles.draw(img.size(0))]).to(img.device)
        stylised = adaptive_instance_norm(content, style[:, 0], style[:, 1])
        alpha = uniform(*self.alpha_range, (img.size(0), 1, 1, 1), img.device)
        mixed = alpha * stylised + (1 - alpha) * content
        out = self.decoder.on(img.device)(mixed)
        if out.shape[-2:] != img.shape[-2:]:  # sizes that are not multiples of 8
            out = F.interpolate(out, size=img.shape[-2:], mode='bilinear',
                                align_corners=False)
        return out.clamp(0, 1) * 255.0

    def __repr__(self):
        source = describe_style_source(self.styles, self.bank)
        return (f'AdaINStyleTransfer(vgg={self.vgg_path}, decoder={self.decoder_path}, '
                f'alpha_range={self.alpha_range}, {source})')
