"""The release's weather and cartoon augmentations, ported to albumentations.

The reference release augmented Source-GtA batches with imgaug: ImageNet-C snow and
frost at severity 1 or 2 as ``imgcorruptlike.Snow`` / ``imgcorruptlike.Frost``
compute them (Hendrycks & Dietterich, ICLR 2019), and ``Cartoon()`` with its
defaults. imgaug is no longer maintained, and albumentations 2.0.8 has neither these
corruptions (its ``RandomSnow`` is another snow) nor frost nor a cartoon effect, so
they are rewritten here, following the originals' recipes, as ``ImageOnlyTransform``
subclasses built from OpenCV and scipy primitives: :class:`CorruptionSnow`,
:class:`CorruptionFrost` and :class:`CartoonStylize`, which
configs/_base_/models/source-gta_aug-groups.py applies through
:class:`~.albu.AlbumentationsAugmentation` (docs/fidelity.md, "Source pretraining",
compares them with the release). The project's own, simpler effects are in
:mod:`.alternative_effects`.

All take and return RGB uint8 ``[H, W, 3]`` and draw from the transform's own
generators, which the wrapper seeds from torch's global generator.
"""
import math
import os
from collections import namedtuple

import albumentations as A
import cv2
import numpy as np
from scipy import ndimage

from .plasma import plasma_fractal

# colour of ice crystals, RGB (a cold, slightly blue white)
ICE_RGB = np.array([225, 238, 255], dtype=np.float32)

# ImageNet-C snow, per severity: the snow layer is N(flake_mean, flake_std) noise,
# zoomed by `zoom`, cut below `threshold`, streaked by a one-sided Gaussian motion blur
# (`blur_radius`, `blur_sigma`); the image is first whitened, keeping `image_weight`.
SnowParams = namedtuple('SnowParams', 'flake_mean flake_std zoom threshold blur_radius '
                        'blur_sigma image_weight')
SNOW_SEVERITIES = {
    1: SnowParams(0.1, 0.3, 3, 0.5, 10, 4, 0.8),
    2: SnowParams(0.2, 0.3, 2, 0.5, 12, 4, 0.7),
    3: SnowParams(0.55, 0.3, 4, 0.9, 12, 8, 0.7),
    4: SnowParams(0.55, 0.3, 4.5, 0.85, 12, 8, 0.65),
    5: SnowParams(0.55, 0.3, 2.5, 0.85, 12, 12, 0.55),
}
# ImageNet-C frost, per severity: out = image_weight * image + frost_weight * frost
FrostParams = namedtuple('FrostParams', 'image_weight frost_weight')
FROST_SEVERITIES = {1: FrostParams(1.0, 0.4), 2: FrostParams(0.8, 0.6),
                    3: FrostParams(0.7, 0.7), 4: FrostParams(0.65, 0.7),
                    5: FrostParams(0.6, 0.75)}


def _check_severities(severities, table, name):
    severities = tuple(severities)
    if not severities or any(s not in table for s in severities):
        raise ValueError(f'{name} severities must be among {sorted(table)}, got {severities}')
    return severities


def central_zoom(layer, factor):
    """Crop the central ``1/factor`` of a 2-D ``layer`` and scale it back up, as
    ImageNet-C's ``clipped_zoom``: scipy's linear zoom, whose samples span the crop
    corner to corner. The result covers at least the input size; the caller crops it.

    Not OpenCV's linear resize: its half-pixel samples land at fixed fractions (1/3
    and 2/3 at zoom 3), which changes the variance of the zoomed noise and so how
    many flakes pass the threshold (measured against ``imagecorruptions`` on the
    same draws: 34 % of pixels flaked instead of 25 % at severity 1, up to 150 grey
    levels apart; with this zoom, within 1).
    """
    height, width = layer.shape[:2]
    crop_h, crop_w = math.ceil(height / factor), math.ceil(width / factor)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return ndimage.zoom(layer[top:top + crop_h, left:left + crop_w], factor, order=1)


def streak_kernel(radius, sigma, angle):
    """Motion-blur kernel of ImageNet-C: ``2 radius + 1`` taps along ``angle``
    (degrees), weighted by a half Gaussian of ``sigma`` starting at the pixel itself.

    Tap ``i`` takes the pixel ``(i sin a, i cos a)`` (rounded) before it, so a streak
    trails behind each bright flake. Returned as a correlation kernel for
    ``cv2.filter2D`` (anchor at the centre).
    """
    width = 2 * radius + 1
    taps = np.exp(-np.arange(width) ** 2 / (2.0 * sigma ** 2))
    taps /= taps.sum()
    kernel = np.zeros((2 * width + 1, 2 * width + 1), np.float32)
    sin, cos = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    for i, tap in enumerate(taps):
        dy, dx = -math.ceil(i * sin - 0.5), -math.ceil(i * cos - 0.5)
        kernel[width - dy, width - dx] += tap
    return kernel


def whiten_for_snow(image, image_weight):
    """ImageNet-C snow's overcast look on a float RGB image in [0, 1]: blend with the
    brighter of the image and 1.5 x its grey level + 0.5."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)[..., None]
    return image_weight * image + (1 - image_weight) * np.maximum(image, grey * 1.5 + 0.5)


class CorruptionSnow(A.ImageOnlyTransform):
    """ImageNet-C snow (falling flakes, whitened scene) at a severity drawn uniformly.

    Follows the corruption the release applied through imgaug's
    ``imgcorruptlike.Snow``; see :data:`SNOW_SEVERITIES`. The zoom is the original's
    (:func:`central_zoom`) and the streaks a ``cv2.filter2D`` with
    :func:`streak_kernel` (replicated borders), which equals the original's shifted
    sums: on the same draws the images are within one grey level of
    ``imagecorruptions``' (it truncates to uint8 where this rounds).

    Args:
        severities (tuple[int]): severities to draw from (the release: 1 or 2).
        p (float): probability of applying the transform.
    """

    def __init__(self, severities=(1, 2), p=1.0):
        super().__init__(p=p)
        self.severities = _check_severities(severities, SNOW_SEVERITIES, 'CorruptionSnow')

    def get_params_dependent_on_data(self, params, data):
        height, width = params['shape'][:2]
        c = SNOW_SEVERITIES[self.py_random.choice(self.severities)]
        flakes = self.random_generator.normal(c.flake_mean, c.flake_std, (height, width))
        flakes = central_zoom(flakes.astype(np.float32), c.zoom)
        flakes[flakes < c.threshold] = 0
        flakes = np.clip(flakes, 0, 1)
        kernel = streak_kernel(c.blur_radius, c.blur_sigma, self.py_random.uniform(-135, -45))
        flakes = cv2.filter2D(flakes, -1, kernel, borderType=cv2.BORDER_REPLICATE)
        flakes = np.round(flakes * 255)[:height, :width] / 255.0
        return dict(flakes=flakes.astype(np.float32), image_weight=c.image_weight)

    def apply(self, img, flakes, image_weight, **params):
        image = whiten_for_snow(img.astype(np.float32) / 255.0, image_weight)
        # flakes fall on both halves: the layer and its 180-degree rotation
        out = image + (flakes + np.rot90(flakes, 2))[..., None]
        return np.clip(np.clip(out, 0, 1) * 255 + 0.5, 0, 255).astype(np.uint8)

    def get_transform_init_args_names(self):
        return ('severities',)


class CorruptionFrost(A.ImageOnlyTransform):
    """ImageNet-C frost: ``a * image + b * frost`` at a severity drawn uniformly.

    The blend weights follow the release's imgaug ``imgcorruptlike.Frost``
    (:data:`FROST_SEVERITIES`). ImageNet-C crops the frost from six photographs of
    frosted glass; give them as ``texture_dir`` to do the same (each is scaled to
    1.1 x the size that covers the image, then cropped at random). Without it the
    frost is procedural: the ice colour modulated by a fine plasma fractal, whose
    mean brightness (about half the ice colour) is close to the photographs'.

    Args:
        severities (tuple[int]): severities to draw from (the release: 1 or 2).
        texture_dir (str, optional): folder of frost pictures.
        p (float): probability of applying the transform.
    """

    def __init__(self, severities=(1, 2), texture_dir=None, p=1.0):
        super().__init__(p=p)
        self.severities = _check_severities(severities, FROST_SEVERITIES, 'CorruptionFrost')
        self.texture_dir = texture_dir
        self.textures = []
        if texture_dir is not None:
            names = sorted(os.listdir(texture_dir)) if os.path.isdir(texture_dir) else []
            self.textures = [cv2.cvtColor(cv2.imread(os.path.join(texture_dir, n)),
                                          cv2.COLOR_BGR2RGB)
                             for n in names if n.lower().endswith(('.png', '.jpg', '.jpeg'))]
            if not self.textures:
                raise FileNotFoundError(f'CorruptionFrost: no frost pictures in {texture_dir}')

    def _photo_frost(self, height, width):
        photo = self.textures[self.py_random.randrange(len(self.textures))]
        scale = 1.1 * max(1.0, height / photo.shape[0], width / photo.shape[1])
        size = (math.ceil(photo.shape[1] * scale), math.ceil(photo.shape[0] * scale))
        photo = cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC)
        top = self.py_random.randrange(max(1, photo.shape[0] - height))
        left = self.py_random.randrange(max(1, photo.shape[1] - width))
        return photo[top:top + height, left:left + width].astype(np.float32)

    def get_params_dependent_on_data(self, params, data):
        height, width = params['shape'][:2]
        c = FROST_SEVERITIES[self.py_random.choice(self.severities)]
        if self.textures:
            frost = self._photo_frost(height, width)
        else:
            crystals = plasma_fractal((height, width), 0.9, self.random_generator)
            frost = ICE_RGB * crystals[..., None].astype(np.float32)
        return dict(frost=frost, weights=c)

    def apply(self, img, frost, weights, **params):
        out = weights.image_weight * img.astype(np.float32) + weights.frost_weight * frost
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def get_transform_init_args_names(self):
        return ('severities', 'texture_dir')


def _median(img, ksize):
    """Median blur with an odd kernel (even sizes go up by one); none below 3."""
    ksize += 1 - ksize % 2
    return img if ksize <= 1 else cv2.medianBlur(img, ksize)


def _drop_edge_blobs(edges, size, count, keep_dense):
    """Zero edge pixels whose ``size x size`` neighbourhood holds ``>= count`` edge
    pixels (``keep_dense=False``) or fewer than ``count`` (``keep_dense=True``)."""
    counts = cv2.filter2D(edges / 255.0, -1, np.ones((size, size), np.float32))
    drop = counts < count if keep_dense else counts >= count
    out = edges.copy()
    out[drop] = 0
    return out


def cartoon_edges(flat, edge_prevalence):
    """Outline mask (0 or 255) of a mean-shift-flattened RGB image: Canny for
    images under 400 pixels on their longer side, else a thresholded Laplacian."""
    grey = cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY)
    if max(flat.shape[:2]) < 400:
        threshold = min(int(200 / edge_prevalence), 254)
        edges = cv2.Canny(grey, threshold, threshold)
    else:
        response = np.abs(cv2.Laplacian(grey / 255.0, cv2.CV_64F)) ** 2
        top = np.percentile(response, min(int(90 / edge_prevalence), 99))
        top = max(top, 1e-12)  # a flat image: no edges (not 0 / 0)
        edges = np.round(np.clip(response, 0, top) / top * 255).astype(np.uint8)
        edges = _median(edges, 3)
        edges[edges < 50] = 0
    edges = ((edges > 100) * 255).astype(np.uint8)
    edges = _drop_edge_blobs(edges, 3, 8, keep_dense=False)  # solid 3x3 blobs
    return _drop_edge_blobs(edges, 5, 3, keep_dense=True)    # specks


class CartoonStylize(A.ImageOnlyTransform):
    """Classical cartoon filter with the recipe and defaults of imgaug's ``Cartoon``
    (the release's cartoon augmentation).

    Median blur, mean-shift filtering (flat colour regions), dark outlines from the
    edges of the flattened image, then a saturation boost in HSV. Every parameter is
    drawn uniformly per image from its range.

    Args:
        blur_ksize (tuple[float, float]): median-blur kernel size (rounded, made odd).
        segmentation_size (tuple[float, float]): multiplier of the mean-shift windows
            (spatial 10 / colour 20 under 400 px, else 15 / 40).
        saturation (tuple[float, float]): saturation multiplier.
        edge_prevalence (tuple[float, float]): multiplier of how many edges are kept.
        p (float): probability of applying the transform.
    """

    def __init__(self, blur_ksize=(1, 5), segmentation_size=(0.8, 1.2),
                 saturation=(1.5, 2.5), edge_prevalence=(0.9, 1.1), p=1.0):
        super().__init__(p=p)
        self.blur_ksize = tuple(blur_ksize)
        self.segmentation_size = tuple(segmentation_size)
        self.saturation = tuple(saturation)
        self.edge_prevalence = tuple(edge_prevalence)

    def get_params(self):
        uniform = self.py_random.uniform
        return dict(blur_ksize=uniform(*self.blur_ksize),
                    segmentation_size=uniform(*self.segmentation_size),
                    saturation=uniform(*self.saturation),
                    edge_prevalence=uniform(*self.edge_prevalence))

    def apply(self, img, blur_ksize, segmentation_size, saturation, edge_prevalence,
              **params):
        img = _median(np.ascontiguousarray(img), max(int(round(blur_ksize)), 1))
        small = max(img.shape[:2]) < 400
        spatial, colour = (10, 20) if small else (15, 40)
        flat = cv2.pyrMeanShiftFiltering(img, int(spatial * segmentation_size),
                                         int(colour * segmentation_size))
        keep = 1.0 - cartoon_edges(flat, edge_prevalence)[..., None] / 255.0
        outlined = np.clip(np.round(flat * keep), 0, 255).astype(np.uint8)
        if abs(saturation - 1.0) <= 1e-2:
            return outlined
        hsv = cv2.cvtColor(outlined, cv2.COLOR_RGB2HSV)
        hsv[..., 1] = np.clip(hsv[..., 1].astype(np.int32) * saturation, 0, 255)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    def get_transform_init_args_names(self):
        return ('blur_ksize', 'segmentation_size', 'saturation', 'edge_prevalence')
