"""Between mmseg's normalised network input and RGB pixel values in [0, 255]."""
import torch


def _norm_cfg(img_metas, img):
    try:
        cfg = img_metas[0]['img_norm_cfg']
    except (KeyError, IndexError, TypeError):
        raise KeyError("img_metas lack 'img_norm_cfg': keep it in the train pipeline's "
                       "Collect meta_keys (mmseg's default keys include it)") from None
    mean = torch.as_tensor(cfg['mean'], dtype=img.dtype, device=img.device).view(1, -1, 1, 1)
    std = torch.as_tensor(cfg['std'], dtype=img.dtype, device=img.device).view(1, -1, 1, 1)
    return mean, std, bool(cfg.get('to_rgb', True))


def to_rgb_pixels(img, img_metas):
    """Undo mmseg's ``Normalize``: ``[B, 3, H, W]`` RGB values in ``[0, 255]``.

    Padding (zero in normalised space) becomes the mean colour.
    """
    mean, std, to_rgb = _norm_cfg(img_metas, img)
    pixels = img * std + mean
    # without to_rgb the network sees BGR; augmentations work in RGB
    return pixels.clamp(0, 255) if to_rgb else pixels.flip(1).clamp(0, 255)


def from_rgb_pixels(pixels, img_metas):
    """Inverse of :func:`to_rgb_pixels`: back to the normalised network input."""
    mean, std, to_rgb = _norm_cfg(img_metas, pixels)
    if not to_rgb:
        pixels = pixels.flip(1)
    return (pixels - mean) / std
