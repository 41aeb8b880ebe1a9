"""Common interface of the batch-level augmentations."""
import torch


class BatchAugmentation:
    """An image-only augmentation applied to a whole training batch.

    Subclasses implement :meth:`apply`. Input and output are float tensors
    ``[B, 3, H, W]``, RGB, values in ``[0, 255]``, on any device; the output keeps
    shape, dtype and device and is clamped to ``[0, 255]``.
    Augmentations draw their randomness from torch's global (CPU) generator, which
    the training seed controls, so runs are reproducible on any device.
    """

    #: whether the builder passes ``model_dir`` (augmentations with pretrained nets)
    uses_model_dir = False

    def __call__(self, img):
        if img.dim() != 4 or img.size(1) != 3 or not img.is_floating_point():
            raise ValueError(f'{type(self).__name__} expects a float [B, 3, H, W] '
                             f'batch, got {tuple(img.shape)} {img.dtype}')
        with torch.no_grad():
            out = self.apply(img)
        return out.clamp_(0, 255).to(img.dtype)

    def apply(self, img):
        raise NotImplementedError

    def __repr__(self):
        return f'{type(self).__name__}()'


def uniform(low, high, size, device=None):
    """``size`` samples of U(low, high) from the global CPU generator, on ``device``."""
    return (low + (high - low) * torch.rand(size)).to(device)


def randint(high, size=()):
    """Integers in [0, high) from the global CPU generator."""
    return torch.randint(high, size)
