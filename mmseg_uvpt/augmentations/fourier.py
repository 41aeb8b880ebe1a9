"""Fourier-domain style augmentations (after FDA, Yang & Soatto, CVPR 2020).

The low-frequency amplitude spectrum of an image carries its global "style"
(colour, illumination, contrast); the phase carries the scene structure. Both
augmentations change only the low-frequency amplitude and keep every phase.
albumentations' ``FDA`` works per image on CPU with reference images given as data,
and has no random-amplitude variant; these run batch-wise on the training device.
"""
import torch
from PIL import Image

from .base import BatchAugmentation, uniform
from .builder import GTA_AUGMENTATIONS
from .style_bank import StyleBank
from .style_images import describe_style_source, style_folder_or_none, to_float_array


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
class FDANoiseAmplitude(BatchAugmentation):
    """Swap in the low-frequency amplitude of uniform noise (the release's random FDA).

    Each image gets its own noise image, ``U(noise_range)`` per pixel and channel, of
    its own size; only the amplitudes inside the window are taken from it. Uniform
    noise has a large DC term (its mean, about 128 x sqrt(H W) in the orthonormal
    transform) and small other low frequencies, so the result keeps the scene but
    has mid-grey channel means and flattened large-scale illumination.

    Args:
        beta (float): window half-size as a fraction of ``min(H, W)`` (FDA's L).
        noise_range (tuple[float, float]): range of the noise pixel values.
    """

    def __init__(self, beta=0.005, noise_range=(1.0, 255.0)):
        self.beta = beta
        self.noise_range = tuple(noise_range)

    def apply(self, img):
        height, width = img.shape[-2:]
        mask = low_freq_mask(height, width, fda_radius(height, width, self.beta), img.device)
        noise = uniform(*self.noise_range, img.shape, img.device)
        return replace_low_freq_amplitude(img, low_freq_amplitude(noise, mask), mask)

    def __repr__(self):
        return f'FDANoiseAmplitude(beta={self.beta}, noise_range={self.noise_range})'


@GTA_AUGMENTATIONS.register_module()
class FDAStyleSwap(BatchAugmentation):
    """Swap in the low-frequency amplitude of a style image (classic FDA).

    With ``style_dir`` each image takes a style picture drawn uniformly from that
    folder, resized (bicubic) to the image's size, as the release does. Without it
    the style is another image of the batch or one remembered from earlier batches
    (:class:`StyleBank`): no files needed (tests, toy data).

    Args:
        beta (float): window half-size as a fraction of ``min(H, W)`` (FDA's L).
        style_dir (str, optional): folder of style images, relative to ``model_dir``
            unless absolute.
        bank_size (int): without ``style_dir``: earlier images' amplitudes to remember.
        model_dir (str): folder of the augmentation files.
    """

    uses_model_dir = True

    def __init__(self, beta=0.01, style_dir=None, bank_size=8, model_dir='model'):
        self.beta = beta
        self.styles = style_folder_or_none(model_dir, style_dir)
        self.bank = StyleBank(bank_size)
        self._amplitudes = {}  # (file index, H, W) -> [3, M] amplitudes, CPU

    def style_amplitude(self, index, height, width, mask):
        """Masked low-frequency amplitudes of style file ``index`` at ``H x W``."""
        key = (index, height, width)
        if key not in self._amplitudes:
            style = self.styles.image(index).resize((width, height), Image.BICUBIC)
            pixels = torch.from_numpy(to_float_array(style))[None]
            self._amplitudes[key] = low_freq_amplitude(pixels, mask.cpu())[0]
        return self._amplitudes[key]

    def apply(self, img):
        height, width = img.shape[-2:]
        mask = low_freq_mask(height, width, fda_radius(height, width, self.beta), img.device)
        if self.styles is None:
            style = self.bank.partners(low_freq_amplitude(img, mask))
        else:
            style = torch.stack([self.style_amplitude(i, height, width, mask)
                                 for i in self.styles.draw(img.size(0))]).to(img.device)
        return replace_low_freq_amplitude(img, style, mask)

    def __repr__(self):
        source = describe_style_source(self.styles, self.bank)
        return f'FDAStyleSwap(beta={self.beta}, {source})'
