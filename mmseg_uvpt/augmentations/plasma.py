"""Diamond-square plasma fractal: a smooth random field in [0, 1].

The procedural frost of :class:`~.imgaug_ports.CorruptionFrost` (without frost
pictures) and of :class:`~.alternative_effects.RandomFrost` is drawn from it.
albumentations computes this field for its ``PlasmaBrightnessContrast`` and
``PlasmaShadow``, but no public API returns it: the function that does
(``generate_plasma_pattern`` of its pixel ``functional`` module in 2.0.8) is
internal, and an upgrade may move or change it. It is written here so that the
frost keeps its random draws whatever albumentations does: the same generator calls
in the same order and the same float32 arithmetic as albumentations 2.0.8's (MIT
licence), so the fields are bit-identical (tests/test_augmentation_modules.py
compares them while that version is installed).
"""
import cv2
import numpy as np

# cross-correlation weights of a point's 4 diagonal (diamond) / 4 axial (square)
# neighbours
DIAMOND_KERNEL = np.array([[0.25, 0, 0.25], [0, 0, 0], [0.25, 0, 0.25]], np.float32)
SQUARE_KERNEL = np.array([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]], np.float32)


def unit_range(values):
    """Min-max normalise a float32 array to [0, 1] (all zeros where it is constant)."""
    return cv2.normalize(values, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F)


def diamond_square_step(grid, noise):
    """Refine an ``(h, w)`` grid to ``(2h - 1, 2w - 1)`` and normalise it to [0, 1].

    The old points land on the even positions; each cell centre then takes the mean
    of its 4 corners (diamond), each edge midpoint the mean of its 4 axial neighbours
    (square). A neighbour outside the grid counts as 0, so a midpoint on the border
    gets 3/4 of its neighbours' mean; a new point whose mean is not positive stays 0.
    Every point, old or new, also gets its value of ``noise`` (float32, the fine
    grid's shape), except those left at 0.
    """
    fine = np.zeros(noise.shape, np.float32)
    fine[::2, ::2] = grid + noise[::2, ::2]
    for kernel in (DIAMOND_KERNEL, SQUARE_KERNEL):
        mean = cv2.filter2D(fine, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        fine += (mean + noise) * (mean > 0)
    return unit_range(fine)


def plasma_fractal(shape, roughness, random_generator):
    """A ``shape = (height, width)`` float32 plasma fractal in [0, 1].

    Starts from a 3 x 3 grid of ``U(-1, 1)`` and refines it with
    :func:`diamond_square_step` until it covers ``shape`` (``2^k + 1`` points on its
    longer side), the noise of step ``i`` being ``U(-roughness^i, roughness^i)``:
    a low ``roughness`` gives large smooth blobs, one near 1 a fine grain. The top
    left ``shape`` of the result is normalised to [0, 1]. ``random_generator`` is a
    ``numpy.random.Generator``.
    """
    height, width = shape
    if min(height, width) < 1:
        raise ValueError(f'plasma_fractal needs a positive shape, got {shape}')
    # steps from 3 points to the smallest 2^k + 1 >= the longer side: k - 1
    steps = max((max(height, width) - 2).bit_length() - 1, 0)
    grid = random_generator.uniform(-1, 1, (3, 3)).astype(np.float32)
    for step in range(steps):
        scale = np.float32(roughness ** step)
        fine_shape = (2 * grid.shape[0] - 1, 2 * grid.shape[1] - 1)
        noise = random_generator.uniform(-scale, scale, fine_shape).astype(np.float32)
        grid = diamond_square_step(grid, noise)
    return np.clip(unit_range(grid[:height, :width]), 0, 1)
