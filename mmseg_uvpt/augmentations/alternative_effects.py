"""Frost and cartoon effects of the project's own design, not the release's.

:class:`RandomFrost` (ice growing in from the border of a window, over frosted
glass) and :class:`Cartoonize` (bilateral smoothing, colour quantisation and
adaptive-threshold outlines) are simpler alternatives to the ports of the release's
augmentations in :mod:`.imgaug_ports`. No config of the release's runs uses them;
they stay selectable by name in :class:`~.albu.AlbumentationsAugmentation`
(e.g. ``transform=dict(type='RandomFrost')``) for experiments with other effects
(docs/fidelity.md lists them as the alternatives to ``CorruptionFrost`` and
``CartoonStylize``).

Both take and return RGB uint8 ``[H, W, 3]`` and draw from the transform's own
generators, which the wrapper seeds from torch's global generator.
"""
import albumentations as A
import cv2
import numpy as np

from .imgaug_ports import ICE_RGB
from .plasma import plasma_fractal


class RandomFrost(A.ImageOnlyTransform):
    """Frost on a window in front of the camera.

    A smooth fractal decides where ice covers the view (thicker towards the image
    border, where frost starts on real panes); under the ice the scene is blurred
    (frosted glass) and overlaid with a fine fractal crystal texture.

    Args:
        intensity_range (tuple[float, float]): range of the frost opacity.
        coverage_range (tuple[float, float]): range of the fraction of the view the
            ice covers (before the border falloff).
        blur_sigma (float): Gaussian blur of the scene under the ice, in pixels.
        p (float): probability of applying the transform.
    """

    def __init__(self, intensity_range=(0.4, 0.8), coverage_range=(0.4, 0.8),
                 blur_sigma=3.0, p=1.0):
        super().__init__(p=p)
        self.intensity_range = tuple(intensity_range)
        self.coverage_range = tuple(coverage_range)
        self.blur_sigma = blur_sigma

    def get_params_dependent_on_data(self, params, data):
        height, width = params['shape'][:2]
        coverage = self.py_random.uniform(*self.coverage_range)
        smooth = plasma_fractal((height, width), 0.4, self.random_generator)
        crystals = plasma_fractal((height, width), 0.9, self.random_generator)
        # distance to the nearest border in [0, 1]: frost grows inward from the frame
        ys = np.minimum(np.arange(height), np.arange(height)[::-1]) / max(height / 2, 1)
        xs = np.minimum(np.arange(width), np.arange(width)[::-1]) / max(width / 2, 1)
        inward = np.minimum(ys[:, None], xs[None, :]).astype(np.float32)
        thickness = 0.5 * smooth + 0.5 * (1.0 - inward)
        threshold = np.quantile(thickness, 1.0 - coverage)
        mask = np.clip((thickness - threshold) / max(1e-6, 1.0 - threshold) * 4.0, 0, 1)
        return dict(mask=mask, crystals=crystals,
                    intensity=self.py_random.uniform(*self.intensity_range))

    def apply(self, img, mask, crystals, intensity, **params):
        image = img.astype(np.float32)
        frosted_glass = cv2.GaussianBlur(image, (0, 0), self.blur_sigma)
        # sparse bright crystals on a translucent white film
        ice = ICE_RGB * (0.7 + 0.3 * crystals[..., None] ** 2)
        opacity = (intensity * mask)[..., None]
        behind = image + (frosted_glass - image) * mask[..., None]
        out = behind * (1.0 - opacity) + ice * opacity
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def get_transform_init_args_names(self):
        return ('intensity_range', 'coverage_range', 'blur_sigma')


class Cartoonize(A.ImageOnlyTransform):
    """Cartoon-like rendering: flat colour regions with dark outlines.

    Edge-preserving smoothing (repeated bilateral filter), colour quantisation to a
    few levels per channel, and outlines from an adaptive threshold of the blurred
    grey image.

    Args:
        levels_range (tuple[int, int]): range of colour levels per channel.
        bilateral_iterations (int): bilateral filter passes (more = flatter regions).
        edge_block_size (int): odd neighbourhood of the adaptive edge threshold.
        p (float): probability of applying the transform.
    """

    def __init__(self, levels_range=(4, 8), bilateral_iterations=2, edge_block_size=9,
                 p=1.0):
        super().__init__(p=p)
        if edge_block_size % 2 == 0 or edge_block_size < 3:
            raise ValueError(f'edge_block_size must be odd and >= 3, got {edge_block_size}')
        self.levels_range = tuple(levels_range)
        self.bilateral_iterations = bilateral_iterations
        self.edge_block_size = edge_block_size

    def get_params(self):
        return dict(levels=self.py_random.randint(*self.levels_range))

    def apply(self, img, levels, **params):
        smooth = img
        for _ in range(self.bilateral_iterations):
            smooth = cv2.bilateralFilter(smooth, 9, 75, 75)
        step = 256.0 / levels
        flat = (np.floor(smooth / step) + 0.5) * step
        grey = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), 7)
        outline = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C,
                                        cv2.THRESH_BINARY, self.edge_block_size, 2)
        return np.clip(flat * outline[..., None], 0, 255).astype(np.uint8)

    def get_transform_init_args_names(self):
        return ('levels_range', 'bilateral_iterations', 'edge_block_size')
