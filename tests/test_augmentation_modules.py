"""The per-image effects' modules: the release's ports (imgaug_ports), the project's
alternatives (alternative_effects), and the plasma fractal both draw frost from
(plasma), which the project computes itself rather than through albumentations'
internals."""
import ast
from pathlib import Path

import albumentations as A
import numpy as np
import pytest

from mmseg_uvpt.augmentations import alternative_effects, imgaug_ports
from mmseg_uvpt.augmentations.albu import CUSTOM_TRANSFORMS
from mmseg_uvpt.augmentations.plasma import diamond_square_step, plasma_fractal

PACKAGE = Path(__file__).resolve().parents[1] / 'mmseg_uvpt'


def street_image(height=40, width=56):
    """A uint8 RGB image with some structure: sky, facade with windows, road."""
    img = np.zeros((height, width, 3), np.uint8)
    img[:height // 3] = (120, 170, 230)
    img[height // 3:2 * height // 3] = (150, 110, 80)
    img[2 * height // 3:] = (70, 70, 75)
    img[height // 3 + 2:2 * height // 3 - 2:4, 2::6] = 30
    return img


def test_custom_transforms_map_every_name_to_its_module():
    assert {name: cls.__module__.rsplit('.', 1)[1]
            for name, cls in CUSTOM_TRANSFORMS.items()} == {
        'CorruptionSnow': 'imgaug_ports', 'CorruptionFrost': 'imgaug_ports',
        'CartoonStylize': 'imgaug_ports', 'RandomFrost': 'alternative_effects',
        'Cartoonize': 'alternative_effects'}
    assert all(cls.__name__ == name for name, cls in CUSTOM_TRANSFORMS.items())


def test_package_imports_only_albumentations_public_namespace():
    """``albumentations.<submodule>`` is internal and moves between releases."""
    offenders = []
    for path in sorted(PACKAGE.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or '']
            else:
                continue
            offenders += [f'{path.relative_to(PACKAGE)}: {name}' for name in names
                          if name.startswith('albumentations.')]
    assert not offenders


def test_diamond_square_step_by_hand():
    """Corners 1, 3 / 5, 7 without noise: the centre is their mean 4; a border
    midpoint is the sum of its 3 neighbours over 4 (the 4th is outside: 0), e.g.
    the top one (1 + 3 + 4) / 4 = 2; then min 1 and max 7 map to 0 and 1."""
    grid = np.array([[1, 3], [5, 7]], np.float32)
    out = diamond_square_step(grid, np.zeros((3, 3), np.float32))
    expected = (np.array([[1, 2, 3], [2.5, 4, 3.5], [5, 4, 7]]) - 1) / 6
    assert out.dtype == np.float32 and out.shape == (3, 3)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_diamond_square_step_keeps_non_positive_means_at_zero():
    """All corners -1: every new mean is negative, so the new points stay 0 and get
    no noise; after normalising the corners are 0 and the rest 1."""
    noise = np.full((3, 3), 0.5, np.float32)
    out = diamond_square_step(np.full((2, 2), -1.5, np.float32), noise)
    expected = np.ones((3, 3))
    expected[::2, ::2] = 0
    np.testing.assert_array_equal(out, expected)


def test_plasma_without_refinement_is_the_normalised_start_grid():
    """Up to 3 pixels a side no step is needed: the field is the 3 x 3 U(-1, 1)
    start grid, cropped and min-max normalised."""
    start = np.random.default_rng(4).uniform(-1, 1, (3, 3)).astype(np.float32)
    for shape in [(3, 3), (2, 3), (1, 2)]:
        crop = start[:shape[0], :shape[1]]
        expected = (crop - crop.min()) / (crop.max() - crop.min())
        out = plasma_fractal(shape, 0.5, np.random.default_rng(4))
        np.testing.assert_allclose(out, expected, atol=1e-6)


def test_plasma_draws_one_start_grid_and_one_noise_grid_per_step():
    """(5, 4) needs one step to 5 x 5: 9 + 25 uniform draws, no more."""
    rng = np.random.default_rng(9)
    plasma_fractal((5, 4), 0.9, rng)
    reference = np.random.default_rng(9)
    reference.uniform(size=9 + 25)
    assert rng.uniform() == reference.uniform()


@pytest.mark.parametrize('shape', [(1, 1), (5, 4), (33, 17), (64, 100)])
def test_plasma_range_shape_dtype_and_seed(shape):
    out = plasma_fractal(shape, 0.6, np.random.default_rng(0))
    assert out.shape == shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    if min(shape) > 1:
        assert out.min() < 1e-6 and out.max() > 1 - 1e-6  # min-max normalised
        assert not np.array_equal(out, plasma_fractal(shape, 0.6, np.random.default_rng(1)))
    np.testing.assert_array_equal(out, plasma_fractal(shape, 0.6, np.random.default_rng(0)))


def test_plasma_roughness_sets_the_grain():
    """Low roughness: small late noise, large smooth blobs; neighbours differ less."""
    def grain(roughness):
        field = plasma_fractal((129, 129), roughness, np.random.default_rng(2))
        return np.abs(np.diff(field, axis=1)).mean()
    assert grain(0.3) < grain(0.9)


def test_plasma_rejects_empty_shape():
    with pytest.raises(ValueError, match='positive shape'):
        plasma_fractal((0, 4), 0.5, np.random.default_rng(0))


@pytest.mark.skipif(A.__version__ != '2.0.8',
                    reason="the project's plasma reproduces albumentations 2.0.8's, "
                           'which the frost used before')
@pytest.mark.parametrize('shape', [(2, 2), (5, 4), (37, 53), (130, 20)])
@pytest.mark.parametrize('roughness', [0.4, 0.9])
def test_plasma_equals_albumentations_2_0_8(shape, roughness):
    """The frost's draws did not change when the project took the plasma over."""
    functional = pytest.importorskip('albumentations.augmentations.pixel.functional')
    expected = functional.generate_plasma_pattern(shape, roughness,
                                                  np.random.default_rng(3))
    out = plasma_fractal(shape, roughness, np.random.default_rng(3))
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize('transform', [
    alternative_effects.RandomFrost(), alternative_effects.Cartoonize(),
    imgaug_ports.CorruptionFrost()], ids=lambda t: type(t).__name__)
def test_frost_and_alternatives_deterministic_under_seed(transform):
    img = street_image()
    outs = []
    for seed in (5, 5, 6):
        transform.set_random_seed(seed)
        outs.append(transform(image=img)['image'])
    assert outs[0].shape == img.shape and outs[0].dtype == np.uint8
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], img)
    if not isinstance(transform, alternative_effects.Cartoonize):  # few levels to draw
        assert not np.array_equal(outs[0], outs[2])
