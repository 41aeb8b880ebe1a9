"""Prompt generator: a small conv stem on the raw image (ViT-Adapter's "spatial prior
module" without its unused fourth conv) that yields the stage-1 prompts."""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule


class PromptGenerator(nn.Module):
    """Conv stem giving prompts at 1/2, 1/4 and 1/8 of the input (2×, 1× and ½× the
    stage-1 grid), as tokens of the stage-1 width plus a learnt per-level embedding.

    Args:
        embed_dims (int): Width of the prompts (the backbone's stage-1 width).
        inplanes (int): Stem width; the 1/4 and 1/8 levels have 2× and 4× of it.
        norm_cfg (dict): Norm after each stem conv (mmcv ``build_norm_layer`` config),
            e.g. ``dict(type='BN')`` or ``dict(type='SyncBN')`` under DDP on GPUs.
        level_embed (bool): Add the learnt per-level embedding (the paper, and the
            reference release's Swin-B). False: no embedding parameter at all, as the
            release's MiT-B5 computes it (it saves one but never adds it).
    """

    num_levels = 3

    def __init__(self, embed_dims, inplanes=64, norm_cfg=dict(type='BN', requires_grad=True),
                 level_embed=True):
        super().__init__()

        def conv(in_ch, out_ch, stride):
            return ConvModule(in_ch, out_ch, 3, stride=stride, padding=1,
                              norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'))

        self.stem = nn.Sequential(
            conv(3, inplanes, 2), conv(inplanes, inplanes, 1), conv(inplanes, inplanes, 1),
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1))
        self.conv2 = conv(inplanes, 2 * inplanes, 2)
        self.conv3 = conv(2 * inplanes, 4 * inplanes, 2)
        self.projs = nn.ModuleList(
            nn.Conv2d(ch, embed_dims, 1) for ch in (inplanes, 2 * inplanes, 4 * inplanes))
        # None rather than an unused parameter: DDP would wait for its gradient
        self.level_embed = nn.Parameter(torch.zeros(self.num_levels, embed_dims)) \
            if level_embed else None

    def forward(self, img):
        """Returns ``(tokens [B, Σ h·w, C], shapes [(h, w)] × 3)``, finest level first."""
        c1 = self.stem(img)
        c2 = self.conv2(c1)
        c3 = self.conv3(c2)
        tokens, shapes = [], []
        for level, (feat, proj) in enumerate(zip((c1, c2, c3), self.projs)):
            feat = proj(feat)
            shapes.append(tuple(feat.shape[-2:]))
            feat = feat.flatten(2).transpose(1, 2)
            if self.level_embed is not None:
                feat = feat + self.level_embed[level]
            tokens.append(feat)
        return torch.cat(tokens, 1), shapes
