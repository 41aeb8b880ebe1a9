"""Learnt style randomisation (after Jackson et al., "Style Augmentation", CVPRW 2019).

A small feed-forward style-transfer network whose instance norms are conditioned on
a style embedding (Ghiasi et al. 2017). Random styles are embeddings sampled from a
Gaussian fitted to the embeddings of real styles (mean and Cholesky factor stored in
the same weight file), so no style image is needed at training time. As in Jackson
et al.'s code (and the release), the random embedding can be blended with the image's
own style, predicted by a truncated Inception-v3 (:class:`StylePredictorNet`).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.inception import BasicConv2d, InceptionA, InceptionB, InceptionC

from .base import BatchAugmentation, uniform
from .builder import GTA_AUGMENTATIONS
from .weights import DeviceCache, load_network_weights, resolve_weight_file

WEIGHTS_FILE = 'style_augmentor.pth'
PREDICTOR_FILE = 'style_predictor.pth'


def _restyle(norm, x, fc_gamma, fc_beta, style):
    """Instance-normalise ``x`` and give it the style's per-channel scale and shift."""
    return norm(x) * fc_gamma(style)[..., None, None] + fc_beta(style)[..., None, None]


class PlainConvLayer(nn.Module):
    """Reflection-padded conv, instance norm, ReLU; ignores the style (the encoder's
    first three layers are not renormalised, as in Ghiasi et al.'s model)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        super().__init__()
        self.pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride)
        self.norm = nn.InstanceNorm2d(out_channels)

    def forward(self, x, style=None):
        return torch.relu(self.norm(self.conv(self.pad(x))))


class StyledConvLayer(nn.Module):
    """Optional 2x nearest upsampling, reflection-padded conv, instance norm with the
    style's scale (``fc_gamma``) and shift (``fc_beta``), optional ReLU."""

    def __init__(self, in_channels, out_channels, kernel_size, embed_dim, upsample=True,
                 relu=True):
        super().__init__()
        self.upsample = nn.Upsample(scale_factor=2) if upsample else None
        self.pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.norm = nn.InstanceNorm2d(out_channels)
        self.fc_beta = nn.Linear(embed_dim, out_channels)
        self.fc_gamma = nn.Linear(embed_dim, out_channels)
        self.relu = relu

    def forward(self, x, style):
        if self.upsample is not None:
            x = self.upsample(x)
        x = _restyle(self.norm, self.conv(self.pad(x)), self.fc_gamma, self.fc_beta, style)
        return torch.relu(x) if self.relu else x


class StyledResidualBlock(nn.Module):
    """Two styled 3x3 convs (ReLU between them only) added to the input."""

    def __init__(self, channels, embed_dim):
        super().__init__()
        self.pad = nn.ReflectionPad2d(1)
        self.conv1 = nn.Conv2d(channels, channels, 3)
        self.conv2 = nn.Conv2d(channels, channels, 3)
        self.norm = nn.InstanceNorm2d(channels)
        self.fc_beta1 = nn.Linear(embed_dim, channels)
        self.fc_gamma1 = nn.Linear(embed_dim, channels)
        self.fc_beta2 = nn.Linear(embed_dim, channels)
        self.fc_gamma2 = nn.Linear(embed_dim, channels)

    def forward(self, x, style):
        y = torch.relu(_restyle(self.norm, self.conv1(self.pad(x)), self.fc_gamma1,
                                self.fc_beta1, style))
        return x + _restyle(self.norm, self.conv2(self.pad(y)), self.fc_gamma2,
                            self.fc_beta2, style)


class StyleAugmentorNet(nn.Module):
    """Ghiasi et al.'s style transformer: encoder, residual blocks, decoder.

    Parameter names follow Jackson et al.'s ``Ghiasi`` module (``layers.<i>.conv``,
    ``layers.<i>.fc_gamma1``, ...), so its published transformer weights load
    unchanged (see :func:`convert_style_augmentation_files`).

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
        self.layers = nn.ModuleList(
            [PlainConvLayer(3, c1, 9), PlainConvLayer(c1, c2, 3, stride=2),
             PlainConvLayer(c2, c3, 3, stride=2)]
            + [StyledResidualBlock(c3, embed_dim) for _ in range(num_res_blocks)]
            + [StyledConvLayer(c3, c2, 3, embed_dim), StyledConvLayer(c2, c1, 3, embed_dim),
               StyledConvLayer(c1, 3, 9, embed_dim, upsample=False, relu=False)])
        # Gaussian over real style embeddings: N(mean, L L^T)
        self.register_buffer('embedding_mean', torch.zeros(embed_dim))
        self.register_buffer('embedding_scale_tril', torch.eye(embed_dim))

    def sample_styles(self, num):
        """``num`` random style embeddings, drawn with the global CPU generator."""
        noise = torch.randn(num, self.embedding_mean.numel()).to(self.embedding_mean.device)
        return self.embedding_mean + noise @ self.embedding_scale_tril.T

    def forward(self, img, style):
        x = img
        for layer in self.layers:
            x = layer(x, style)
        return torch.sigmoid(x)


class StylePredictorNet(nn.Module):
    """Style embedding of an image: Inception-v3 to ``Mixed_6e``, spatial mean, linear.

    Layer names are torchvision's (and those of Jackson et al.'s style predictor), so
    that predictor's state dict loads unchanged.

    Args:
        embed_dim (int): style embedding size.

    ``forward(img)``: ``img`` RGB in ``[0, 1]``, at least 75 pixels on each side;
    returns ``[B, embed_dim]``.
    """

    # Input scaling of the predictor's training code: ImageNet normalisation, then
    # the conversion to Inception's [-1, 1] range. Its blue channel divides by 0.255
    # where ImageNet's std is 0.225; the weights were trained with that, so it stays.
    _MEAN = (0.485, 0.456, 0.406)
    _STD_USED = (0.229, 0.224, 0.255)
    _STD = (0.229, 0.224, 0.225)
    MIN_SIZE = 75

    def __init__(self, embed_dim=100):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.fc = nn.Linear(768, embed_dim)
        scale = [s / 0.5 / used for s, used in zip(self._STD, self._STD_USED)]
        shift = [(m - 0.5) / 0.5 - m * k for m, k in zip(self._MEAN, scale)]
        self.register_buffer('input_scale', torch.tensor(scale).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('input_shift', torch.tensor(shift).view(1, 3, 1, 1),
                             persistent=False)

    def forward(self, img):
        x = img * self.input_scale + self.input_shift
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a,
                      self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e):
            x = block(x)
        return self.fc(x.mean(dim=(2, 3)))


@GTA_AUGMENTATIONS.register_module()
class LearntStyleAugmentor(BatchAugmentation):
    """Re-render each image in a random style sampled from the learnt style space.

    The style embedding is ``embedding_alpha * random + (1 - embedding_alpha) *
    predicted``, ``predicted`` being the image's own style (:class:`StylePredictorNet`);
    the release uses 0.5. With ``embedding_alpha=1`` the style is fully random and the
    predictor is not loaded. The rendered image is then blended in pixel space with
    the original by a factor drawn from ``alpha_range`` (the release: none, (1, 1)).

    Args:
        model_dir (str): folder holding the weight files.
        weights (str): :class:`StyleAugmentorNet` state dict (with the embedding
            Gaussian buffers), relative to ``model_dir``.
        embedding_alpha (float): weight of the random embedding against the
            predicted one, in [0, 1].
        predictor_weights (str): :class:`StylePredictorNet` state dict, relative to
            ``model_dir`` (read only when ``embedding_alpha < 1``).
        alpha_range (tuple[float, float]): range of the per-image blend between the
            stylised (1) and the original (0) image.
        net_cfg (dict, optional): :class:`StyleAugmentorNet` arguments of the file.
    """

    uses_model_dir = True

    def __init__(self, model_dir='model', weights=WEIGHTS_FILE, embedding_alpha=1.0,
                 predictor_weights=PREDICTOR_FILE, alpha_range=(0.5, 1.0), net_cfg=None):
        if not 0.0 <= embedding_alpha <= 1.0:
            raise ValueError(f'embedding_alpha must be in [0, 1], got {embedding_alpha}')
        self.path = resolve_weight_file(model_dir, weights)
        net = StyleAugmentorNet(**(net_cfg or {}))
        self.net = DeviceCache(load_network_weights(net, self.path, 'style augmentor'))
        self.embedding_alpha = embedding_alpha
        self.predictor = None
        if embedding_alpha < 1.0:
            self.predictor_path = resolve_weight_file(model_dir, predictor_weights)
            self.predictor = DeviceCache(load_network_weights(
                StylePredictorNet(net.embedding_mean.numel()), self.predictor_path,
                'style predictor'))
        self.alpha_range = tuple(alpha_range)

    def predicted_styles(self, x):
        """The images' own style embeddings (``x`` RGB in [0, 1])."""
        height, width = x.shape[-2:]
        short = min(height, width)
        if short < StylePredictorNet.MIN_SIZE:  # Inception's valid convs need the room
            scale = StylePredictorNet.MIN_SIZE / short
            x = F.interpolate(x, size=(round(height * scale), round(width * scale)),
                              mode='bilinear', align_corners=False)
        return self.predictor.on(x.device)(x)

    def apply(self, img):
        net = self.net.on(img.device)
        height, width = img.shape[-2:]
        style = net.sample_styles(img.size(0))
        if self.predictor is not None:
            style = (self.embedding_alpha * style
                     + (1 - self.embedding_alpha) * self.predicted_styles(img / 255.0))
        # the two stride-2 convs need sizes divisible by 4: pad by replication, crop back
        pad_h, pad_w = -height % 4, -width % 4
        x = nn.functional.pad(img / 255.0, (0, pad_w, 0, pad_h), mode='replicate')
        out = net(x, style)[..., :height, :width]
        alpha = uniform(*self.alpha_range, (img.size(0), 1, 1, 1), img.device)
        return (alpha * out * 255.0 + (1 - alpha) * img)

    def __repr__(self):
        return (f'LearntStyleAugmentor(weights={self.path}, embedding_alpha='
                f'{self.embedding_alpha}, alpha_range={self.alpha_range})')
