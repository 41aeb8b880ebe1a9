"""Fourier-domain style augmentations (after FDA, Yang & Soatto, CVPR 2020).

The low-frequency amplitude spectrum of an image carries its global "style"
(colour, illumination, contrast); the phase carries the scene structure. Both
augmentations change only the low-frequency amplitude and keep every phase.
albumentations' ``FDA`` works per image on CPU with reference images given as data,
and has no random-amplitude variant; these run batch-wise on the training device.
"""
import torch

from .base import BatchAugmentation, uniform
from .builder import GTA_AUGMENTATIONS
from .style_bank import StyleBank


def low_freq_mask(height, width, radius, device=None):
    """Boolean ``[H, W//2+1]`` mask over an ``rfft2`` spectrum: ``|k_y|, |k_x| <= radius``.

    The set is symmetric under ``k -> -k``, so a spectrum edited inside it stays
    Hermitian and its inverse transform is exactly real. ``radius=0`` is the DC term.
    """
    ky = torch.fft.fftfreq(height, 1.0 / height, device=device).abs()
    kx = torch.fft.rfftfreq(width, 1.0 / width, device=device)
    return (ky[:, None] <= radius) & (kx[None, :] <= radius)


def fda_radius(height, width, beta):
    """FDA's low-frequency window half-size: ``floor(beta * min(H, W))``."""
    return int(beta * min(height, width))


def replace_low_freq_amplitude(img, amplitude, mask):
    """Give ``img`` a new low-frequency amplitude, keeping every phase.

    Args:
        img (Tensor): ``[B, C, H, W]`` real images.
        amplitude (Tensor): ``[B, C, M]`` new amplitudes of the ``M`` masked bins.
        mask (Tensor): ``[H, W//2+1]`` boolean mask from :func:`low_freq_mask`.

    Returns:
        Tensor: ``[B, C, H, W]`` images, not clipped.
    """
    spectrum = torch.fft.rfft2(img.float(), norm='ortho')
    low = spectrum[..., mask]
    spectrum[..., mask] = torch.polar(amplitude.float(), torch.angle(low))
    return torch.fft.irfft2(spectrum, s=img.shape[-2:], norm='ortho')


def low_freq_amplitude(img, mask):
    """``[B, C, M]`` amplitudes of the masked low-frequency bins of ``img``."""
    return torch.fft.rfft2(img.float(), norm='ortho')[..., mask].abs()


@GTA_AUGMENTATIONS.register_module()
class FDARandomAmplitude(BatchAugmentation):
    """Scale each low-frequency amplitude by an independent random factor.

    Args:
        beta (float): window half-size as a fraction of ``min(H, W)`` (FDA's L).
        scale_range (tuple[float, float]): range of the uniform per-bin, per-channel
            amplitude factor. The DC term is included, so channel means change too.
    """

    def __init__(self, beta=0.01, scale_range=(0.5, 1.5)):
        if not 0 <= scale_range[0] <= scale_range[1]:
            raise ValueError(f'scale_range must satisfy 0 <= low <= high, got {scale_range}')
        self.beta = beta
        self.scale_range = tuple(scale_range)

    def apply(self, img):
        height, width = img.shape[-2:]
        mask = low_freq_mask(height, width, fda_radius(height, width, self.beta), img.device)
        amplitude = low_freq_amplitude(img, mask)
        # The k_x = 0 column holds both members of conjugate pairs and gets two
        # independent factors; the inverse rfft keeps the Hermitian part, which
        # averages the pair's amplitudes and leaves the shared phase as it is.
        factor = uniform(*self.scale_range, amplitude.shape, img.device)
        return replace_low_freq_amplitude(img, amplitude * factor, mask)

    def __repr__(self):
        return f'FDARandomAmplitude(beta={self.beta}, scale_range={self.scale_range})'


@GTA_AUGMENTATIONS.register_module()
class FDAStyleSwap(BatchAugmentation):
    """Swap in the low-frequency amplitude of another image (classic FDA).

    The style image is another image of the batch or one remembered from earlier
    batches (:class:`StyleBank`).

    Args:
        beta (float): window half-size as a fraction of ``min(H, W)`` (FDA's L).
        bank_size (int): how many earlier images' amplitudes to remember.
    """

    def __init__(self, beta=0.01, bank_size=8):
        self.beta = beta
        self.bank = StyleBank(bank_size)

    def apply(self, img):
        height, width = img.shape[-2:]
        mask = low_freq_mask(height, width, fda_radius(height, width, self.beta), img.device)
        style = self.bank.partners(low_freq_amplitude(img, mask))
        return replace_low_freq_amplitude(img, style, mask)

    def __repr__(self):
        return f'FDAStyleSwap(beta={self.beta}, bank_size={self.bank.size})'
