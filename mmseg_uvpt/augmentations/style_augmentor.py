"""Learnt style randomisation (after Jackson et al., "Style Augmentation", CVPRW 2019).

A small feed-forward style-transfer network whose instance norms are conditioned on
a style embedding (Ghiasi et al. 2017). Random styles are embeddings sampled from a
Gaussian fitted to the embeddings of real styles (mean and Cholesky factor stored in
the same weight file), so no style image is needed at training time.
"""
import torch
import torch.nn as nn

from .base import BatchAugmentation, uniform
from .builder import GTA_AUGMENTATIONS
from .weights import DeviceCache, load_network_weights, resolve_weight_file

WEIGHTS_FILE = 'style_augmentor.pth'


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose scale and shift are linear functions of a style embedding.

    Args:
        channels (int): feature channels.
        embed_dim (int): style embedding size.
    """

    def __init__(self, channels, embed_dim):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.scale = nn.Linear(embed_dim, channels)
        self.shift = nn.Linear(embed_dim, channels)

    def forward(self, x, style):
        scale = 1 + self.scale(style)[..., None, None]
        return self.norm(x) * scale + self.shift(style)[..., None, None]


class StyledConv(nn.Module):
    """Reflection-padded conv, conditional instance norm, optional ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, embed_dim, stride=1,
                 upsample=False, relu=True):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2, mode='nearest') if upsample else None
        self.pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride)
        self.norm = ConditionalInstanceNorm(out_channels, embed_dim)
        self.relu = relu

    def forward(self, x, style):
        if self.upsample is not None:
            x = self.upsample(x)
        x = self.norm(self.conv(self.pad(x)), style)
        return torch.relu(x) if self.relu else x


class StyleAugmentorNet(nn.Module):
    """Encoder, residual blocks and decoder, all normalised by the style embedding.

    Args:
        embed_dim (int): style embedding size.
        channels (int): width of the first layer (x2, x4 after the two downsamplings).
        num_res_blocks (int): residual blocks at 1/4 resolution.

    ``forward(img, style)``: ``img`` RGB in ``[0, 1]``, ``style`` ``[B, embed_dim]``;
    returns RGB in ``[0, 1]`` at the input size (H and W multiples of 4).
    """

    def __init__(self, embed_dim=100, channels=32, num_res_blocks=5):
        super().__init__()
        c1, c2, c3 = channels, channels * 2, channels * 4
        self.encoder = nn.ModuleList([
            StyledConv(3, c1, 9, embed_dim),
            StyledConv(c1, c2, 3, embed_dim, stride=2),
            StyledConv(c2, c3, 3, embed_dim, stride=2)])
        self.res_blocks = nn.ModuleList([
            nn.ModuleList([StyledConv(c3, c3, 3, embed_dim),
                           StyledConv(c3, c3, 3, embed_dim, relu=False)])
            for _ in range(num_res_blocks)])
        self.decoder = nn.ModuleList([
            StyledConv(c3, c2, 3, embed_dim, upsample=True),
            StyledConv(c2, c1, 3, embed_dim, upsample=True),
            StyledConv(c1, 3, 9, embed_dim, relu=False)])
        # Gaussian over real style embeddings: N(mean, L L^T)
        self.register_buffer('embedding_mean', torch.zeros(embed_dim))
        self.register_buffer('embedding_scale_tril', torch.eye(embed_dim))

    def sample_styles(self, num):
        """``num`` random style embeddings, drawn with the global CPU generator."""
        noise = torch.randn(num, self.embedding_mean.numel()).to(self.embedding_mean.device)
        return self.embedding_mean + noise @ self.embedding_scale_tril.T

    def forward(self, img, style):
        x = img
        for layer in self.encoder:
            x = layer(x, style)
        for first, second in self.res_blocks:
            x = x + second(first(x, style), style)
        for layer in self.decoder:
            x = layer(x, style)
        return torch.sigmoid(x)


@GTA_AUGMENTATIONS.register_module()
class LearntStyleAugmentor(BatchAugmentation):
    """Re-render each image in a random style sampled from the learnt style space.

    Args:
        model_dir (str): folder holding the weight file.
        weights (str): :class:`StyleAugmentorNet` state dict (with the embedding
            Gaussian buffers), relative to ``model_dir``.
        alpha_range (tuple[float, float]): range of the per-image blend between the
            stylised (1) and the original (0) image.
        net_cfg (dict, optional): :class:`StyleAugmentorNet` arguments of the file.
    """

    uses_model_dir = True

    def __init__(self, model_dir='model', weights=WEIGHTS_FILE, alpha_range=(0.5, 1.0),
                 net_cfg=None):
        self.path = resolve_weight_file(model_dir, weights)
        self.net = DeviceCache(load_network_weights(
            StyleAugmentorNet(**(net_cfg or {})), self.path, 'style augmentor'))
        self.alpha_range = tuple(alpha_range)

    def apply(self, img):
        net = self.net.on(img.device)
        height, width = img.shape[-2:]
        # the two stride-2 convs need sizes divisible by 4: pad by replication, crop back
        pad_h, pad_w = -height % 4, -width % 4
        x = nn.functional.pad(img / 255.0, (0, pad_w, 0, pad_h), mode='replicate')
        out = net(x, net.sample_styles(img.size(0)))[..., :height, :width]
        alpha = uniform(*self.alpha_range, (img.size(0), 1, 1, 1), img.device)
        return (alpha * out * 255.0 + (1 - alpha) * img)

    def __repr__(self):
        return f'LearntStyleAugmentor(weights={self.path}, alpha_range={self.alpha_range})'
