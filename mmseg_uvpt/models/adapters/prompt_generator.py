"""Prompt generator: a small conv stem on the raw image (ViT-Adapter's "spatial prior
module") that yields the first stage's prompts at three strides."""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule


class PromptGenerator(nn.Module):
    """Conv stem giving prompts at three consecutive strides of the input, as tokens
    of the stage-1 width plus a learnt per-level embedding.

    With the default ``strides=(2, 4, 8)`` (hierarchical backbones, stage 1 at 1/4):
    the stem (stride-2 conv, two convs, a stride-1 max-pool) gives 1/2, ``conv2``
    1/4 and ``conv3`` 1/8, i.e. 2×, 1× and ½× the stage-1 grid; ViT-Adapter's fourth
    conv is left out. With ``strides=(8, 16, 32)`` (a plain ViT, whose one grid is at
    1/14 or 1/16): ViT-Adapter's spatial prior module as it is, the max-pool with
    stride 2 (stem at 1/4) and ``conv2``, ``conv3``, ``conv4`` at 1/8, 1/16, 1/32
    giving the three levels.

    Args:
        embed_dims (int): Width of the prompts (the backbone's stage-1 width).
        inplanes (int): Stem width; ``conv2`` has 2× and every later conv 4× of it.
        norm_cfg (dict): Norm after each stem conv (mmcv ``build_norm_layer`` config),
            e.g. ``dict(type='BN')`` or ``dict(type='SyncBN')`` under DDP on GPUs.
        level_embed (bool): Add the learnt per-level embedding (the paper, and the
            reference release's Swin-B). False: no embedding parameter at all, as the
            release's MiT-B5 computes it (it saves one but never adds it).
        strides (Sequence[int]): Strides of the three levels w.r.t. the input,
            each twice the previous, the first 2 or more (a power of two).
    """

    num_levels = 3

    def __init__(self, embed_dims, inplanes=64, norm_cfg=dict(type='BN', requires_grad=True),
                 level_embed=True, strides=(2, 4, 8)):
        super().__init__()
        strides = tuple(int(s) for s in strides)
        first = strides[0] if strides else 0
        if (len(strides) != self.num_levels or first < 2 or first & (first - 1)
                or strides != (first, 2 * first, 4 * first)):
            raise ValueError('prompt_cfg.prompt_strides must be three consecutive '
                             'doublings starting at a power of two >= 2, e.g. (2, 4, 8) '
                             f'or (8, 16, 32); got {strides}')
        self.strides = strides

        def conv(in_ch, out_ch, stride):
            return ConvModule(in_ch, out_ch, 3, stride=stride, padding=1,
                              norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))

        stem_stride = 2 if first == 2 else 4
        self.stem = nn.Sequential(
            conv(3, inplanes, 2), conv(inplanes, inplanes, 1), conv(inplanes, inplanes, 1),
            nn.MaxPool2d(kernel_size=3, stride=stem_stride // 2, padding=1))
        # conv2, conv3, ...: one stride-2 conv per doubling up to the last level
        channels = [inplanes]
        self.num_convs = (strides[-1] // stem_stride).bit_length() - 1
        for k in range(2, 2 + self.num_convs):
            out_ch = inplanes * min(2 ** (k - 1), 4)
            setattr(self, f'conv{k}', conv(channels[-1], out_ch, 2))
            channels.append(out_ch)
        self.projs = nn.ModuleList(
            nn.Conv2d(ch, embed_dims, 1) for ch in channels[-self.num_levels:])
        # None rather than an unused parameter: DDP would wait for its gradient
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, embed_dims)) \
            if level_embed else None

    def forward(self, img):
        """Returns ``(tokens [B, Σ h·w, C], shapes [(h, w)] × 3)``, finest level first."""
        feats = [self.stem(img)]
        for k in range(2, 2 + self.num_convs):
            feats.append(getattr(self, f'conv{k}')(feats[-1]))
        tokens, shapes = [], []
        for level, (feat, proj) in enumerate(zip(feats[-self.num_levels:], self.projs)):
            feat = proj(feat)
            shapes.append(tuple(feat.shape[-2:]))
            feat = feat.flatten(2).transpose(1, 2)
            if self.level_embed is not None:
                feat = feat + self.level_embed[level]
            tokens.append(feat)
        return torch.cat(tokens, 1), shapes
