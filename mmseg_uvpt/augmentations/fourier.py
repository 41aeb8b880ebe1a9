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


# A masked bin whose amplitude is below this fraction of the image's L2 norm (which,
# by Parseval, is the orthonormal spectrum's norm) holds float32 rounding, not signal:
# a float32 FFT's error on one bin stays under 1e-7 of the norm (measured against
# float64 on ramps, sines and noise, 40 x 48 to 1024 x 2048). Its angle is then the
# angle of rounding noise, which differs between FFT code paths (MKL's AVX-512 and
# AVX2 kernels give opposite signs on exactly-zero bins), and FDA puts a large new
# amplitude on it. Such a bin gets phase 0, the angle exact arithmetic gives to an
# exactly-zero bin, so the output is a function of the image and the draw alone. A
# bin this small is a sinusoid of under 2e-5 of the image's RMS, so no real image
# loses a phase that carried structure.
NEGLIGIBLE_AMPLITUDE = 1e-5


def conjugate_partners(mask, width):
    """Where each masked bin's complex conjugate sits, in the order of ``spectrum[..., mask]``.

    ``rfft2`` stores half the spectrum. In the columns that are their own mirror image
    (``k_x = 0``, and ``k_x = W/2`` for even ``W``) both ``(k_y, k_x)`` and its
    conjugate ``(-k_y, k_x)`` are stored, and a real image needs them equal up to
    conjugation. Elsewhere the conjugate is not stored, and a bin is its own partner.

    Args:
        mask (Tensor): ``[H, W//2+1]`` boolean mask from :func:`low_freq_mask`.
        width (int): the image width ``W`` (``W//2+1`` columns hold odd and even ``W``).

    Returns:
        tuple[Tensor, Tensor]: ``[M]`` partner indices, and ``[M]`` booleans that are
        true on the self-mirrored columns.
    """
    height = mask.size(0)
    rows, cols = torch.nonzero(mask, as_tuple=True)
    mirrored = cols == 0
    if width % 2 == 0:
        mirrored |= cols == width // 2
    partner_rows = torch.where(mirrored, (-rows) % height, rows)
    position = torch.full(mask.shape, -1, dtype=torch.long, device=mask.device)
    position[rows, cols] = torch.arange(rows.numel(), device=mask.device)
    partners = position[partner_rows, cols]
    if (partners < 0).any():
        raise ValueError('the mask is not symmetric under k_y -> -k_y')
    return partners, mirrored


def defined_phase(low, img):
    """Phases of the masked bins ``low`` of ``img``, 0 where the bin is rounding noise."""
    norm = img.float().flatten(-2).norm(dim=-1, keepdim=True)
    significant = low.abs() > NEGLIGIBLE_AMPLITUDE * norm
    return torch.where(significant, torch.angle(low), torch.zeros((), device=low.device))


def replace_low_freq_amplitude(img, amplitude, mask):
    """Give ``img`` a new low-frequency amplitude, keeping every phase.

    Phases of bins that hold only rounding noise are set to 0 (see
    ``NEGLIGIBLE_AMPLITUDE``), and the conjugate pairs that ``rfft2`` stores twice are
    written as exact conjugates (their mean), so the spectrum handed to ``irfft2`` is
    Hermitian: what an inverse FFT does with a non-Hermitian one is left to the
    implementation. Both are a few hundred bins at most: nothing on the GPU's time.

    Args:
        img (Tensor): ``[B, C, H, W]`` real images.
        amplitude (Tensor): ``[B, C, M]`` new amplitudes of the ``M`` masked bins.
        mask (Tensor): ``[H, W//2+1]`` boolean mask from :func:`low_freq_mask`.

    Returns:
        Tensor: ``[B, C, H, W]`` images, not clipped.
    """
    spectrum = torch.fft.rfft2(img.float(), norm='ortho')
    low = spectrum[..., mask]
    new = torch.polar(amplitude.float(), defined_phase(low, img))
    partners, mirrored = conjugate_partners(mask, img.size(-1))
    spectrum[..., mask] = torch.where(mirrored, 0.5 * (new + new[..., partners].conj()), new)
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
        # One factor per conjugate pair: the self-mirrored columns of the half spectrum
        # store both members of a pair, which must scale alike to stay a real image.
        # The draw keeps one number per stored bin, so the RNG stream is as before.
        factor = uniform(*self.scale_range, amplitude.shape, img.device)
        partners, _ = conjugate_partners(mask, width)
        own = torch.arange(partners.numel(), device=partners.device)
        factor = factor[..., torch.minimum(partners, own)]
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
