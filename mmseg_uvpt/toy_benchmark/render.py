"""Turn a drawn scene into an RGB image with a domain's photometry.

Per pixel: the part's base colour, modulated by a material texture (fine grain,
blotches, a lattice for fences), then the domain's camera/atmosphere model:
haze by depth, saturation, white balance, contrast, gamma, vignetting, optical
blur and sensor noise.
"""
import cv2
import numpy as np

from .canvas import GROUND_DEPTH

# material texture -> (fine grain, blotches, lattice) amplitudes
TEXTURES = dict(
    flat=(0.02, 0.0, 0.0), sky=(0.0, 0.05, 0.0), asphalt=(0.06, 0.05, 0.0),
    concrete=(0.05, 0.08, 0.0), grass=(0.1, 0.15, 0.0),
    foliage=(0.14, 0.25, 0.0), facade=(0.03, 0.06, 0.0),
    glass=(0.02, 0.12, 0.0), lattice=(0.03, 0.0, 0.45), paint=(0.02, 0.04, 0.0),
    cloth=(0.05, 0.05, 0.0))
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _texture_field(rng, height, width, canvas, gain):
    """Multiplicative texture per pixel from the parts' materials."""
    amps = np.array([TEXTURES[t] for t in canvas.textures], np.float32) * gain
    fine = rng.standard_normal((height, width), dtype=np.float32)
    blot = cv2.resize(rng.standard_normal((height // 8, width // 8),
                                          dtype=np.float32), (width, height),
                      interpolation=cv2.INTER_CUBIC)
    period = int(rng.integers(4, 7))
    lattice = ((np.arange(height)[:, None] % period == 0) |
               (np.arange(width)[None, :] % period == 0)).astype(np.float32)
    per_pixel = amps[canvas.parts]
    return 1.0 + per_pixel[..., 0] * fine + per_pixel[..., 1] * blot \
        - per_pixel[..., 2] * lattice


def _depth_map(canvas, camera):
    depths = np.asarray(canvas.depths, np.float32)
    depth = depths[canvas.parts]
    row_depth = camera.row_depths().astype(np.float32)[:, None]
    return np.where(depth == GROUND_DEPTH, row_depth, depth)


def render(canvas, camera, domain, rng):
    """RGB uint8 image (H×W×3) of the scene in the domain's look."""
    height, width = canvas.parts.shape
    colors = np.stack(canvas.colors).astype(np.float32)
    img = colors[canvas.parts]
    img *= _texture_field(rng, height, width, canvas, domain.texture_gain)[..., None]

    # sky: brighter toward the horizon
    sky = canvas.parts == 0
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    gradient = 1.0 + domain.sky_gradient * np.clip(rows * height / camera.horizon,
                                                   0, 1)
    img *= np.where(sky, gradient, np.float32(1.0))[..., None]

    # atmosphere: blend toward the haze colour with distance
    trans = np.exp(-_depth_map(canvas, camera) /
                   rng.uniform(*domain.haze_dist)).astype(np.float32)[..., None]
    img = img * trans + np.asarray(domain.haze_color, np.float32) * (1 - trans)

    # camera: saturation, white balance, contrast, gamma
    grey = (img @ LUMA)[..., None]
    img = grey + rng.uniform(*domain.saturation) * (img - grey)
    img *= np.asarray(domain.tint, np.float32)
    mean = float(grey.mean())
    img = (img - mean) * rng.uniform(*domain.contrast) + mean
    img = np.clip(img, 0, 1) ** rng.uniform(*domain.gamma)
    if domain.vignette:
        yy, xx = np.ogrid[-1:1:height * 1j, -1:1:width * 1j]
        img *= (1 - domain.vignette * (xx**2 + yy**2) / 2).astype(
            np.float32)[..., None]
    sigma = rng.uniform(*domain.blur_sigma)
    if sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.standard_normal(img.shape, dtype=np.float32) * domain.noise_sigma
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
