"""ViTDet's simple feature pyramid for a prompted plain ViT: four maps at 1/4, 1/8,
1/16 and 1/32 of the image from the ViT's one token grid (docs/method.md §1)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import LayerNorm2d

#: grid scale of each level (×4, ×2, ×1, ×½ the token grid) and its output stride
SCALES = (4.0, 2.0, 1.0, 0.5)
STRIDES = (4, 8, 16, 32)


def resample_to_stride(feat, cell, stride, image_size):
    """``feat`` (cells of ``cell = (ch, cw)`` pixels from the image's top-left
    corner) sampled bilinearly at the centres of a stride-``stride`` grid over the
    image: ``[B, C, ceil(H / stride), ceil(W / stride)]``.

    A plain ViT with patch p covers the image padded to a multiple of p; its maps
    have cells of p / scale pixels (3.5, 7, 14, 28 for p = 14), so sizes and cell
    centres differ from the 1/4 … 1/32 maps of a hierarchical backbone. Sampling
    at the exact pixel positions keeps the maps aligned with the image (the padding
    is never stretched over it) and gives the head the same map sizes as Swin or
    MiT. Positions past the last cell take the border value. Computed in fp32
    (under autocast too), returned in ``feat``'s dtype; ``feat`` itself when its
    cells already are the target grid (patch 16 on a multiple of 16 pixels).
    """
    out_h, out_w = (math.ceil(s / stride) for s in image_size)
    in_h, in_w = feat.shape[-2:]
    if (in_h, in_w) == (out_h, out_w) and tuple(cell) == (stride, stride):
        return feat

    def axis(n_out, n_in, cell_px):
        # output cell centre (j + 0.5)·stride in pixels → normalised coordinate of
        # the input map (align_corners=False: -1 and 1 are its outer edges)
        centres = (torch.arange(n_out, device=feat.device, dtype=torch.float32) + 0.5)
        return centres * (2.0 * stride / (cell_px * n_in)) - 1.0

    ys = axis(out_h, in_h, cell[0])
    xs = axis(out_w, in_w, cell[1])
    grid = torch.stack(torch.meshgrid(xs, ys, indexing='xy'), -1)  # [h, w, (x, y)]
    grid = grid.expand(feat.shape[0], -1, -1, -1)
    # in fp32 also under autocast: bf16 coordinates would be off by up to 1/256
    out = F.grid_sample(feat.float(), grid, mode='bilinear', padding_mode='border',
                        align_corners=False)
    return out.to(feat.dtype)


class SimpleFeaturePyramid(nn.Module):
    """ViTDet's simple feature pyramid (Li et al., ECCV 2022), one level per block
    group of the ViT (ViT-Adapter's arrangement: level k from group k's output).

    Level 0: 2×2 stride-2 deconv to C/2, LayerNorm, GELU, deconv to C/4 (×4);
    level 1: deconv to C/2 (×2); level 2: the map as it is; level 3: 2×2 max-pool
    (×½, ``ceil_mode`` so that no token of an odd grid is dropped). Then each level:
    1×1 conv to ``out_channels`` + LayerNorm, 3×3 conv + LayerNorm (no biases), as
    ViTDet with ``norm='LN'``. Finally each map is resampled to the exact
    1/4, 1/8, 1/16, 1/32 grid of the image (:func:`resample_to_stride`).

    Args:
        in_dims (int): Width of the ViT (C).
        out_channels (int): Width of every output level.
    """

    def __init__(self, in_dims, out_channels=256):
        super().__init__()
        if in_dims % 4:
            raise ValueError(f'SimpleFeaturePyramid: the ViT width {in_dims} must be '
                             'divisible by 4')
        self.out_channels = out_channels
        self.levels = nn.ModuleList()
        for scale in SCALES:
            if scale == 4.0:
                layers = [nn.ConvTranspose2d(in_dims, in_dims // 2, 2, stride=2),
                          LayerNorm2d(in_dims // 2), nn.GELU(),
                          nn.ConvTranspose2d(in_dims // 2, in_dims // 4, 2, stride=2)]
                dims = in_dims // 4
            elif scale == 2.0:
                layers = [nn.ConvTranspose2d(in_dims, in_dims // 2, 2, stride=2)]
                dims = in_dims // 2
            elif scale == 1.0:
                layers, dims = [], in_dims
            else:
                layers, dims = [nn.MaxPool2d(2, stride=2, ceil_mode=True)], in_dims
            layers += [nn.Conv2d(dims, out_channels, 1, bias=False),
                       LayerNorm2d(out_channels),
                       nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
                       LayerNorm2d(out_channels)]
            self.levels.append(nn.Sequential(*layers))
        self.init_weights()

    def init_weights(self):
        """As ViTDet (detectron2): convs Kaiming-normal with fan out
        (``c2_msra_fill``), deconvs PyTorch's default, norms 1/0."""
        for m in self.modules():
            if isinstance(m, nn.ConvTranspose2d):
                m.reset_parameters()
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, feats, patch_size, image_size):
        """
        Args:
            feats (list[Tensor]): the four group outputs ``[B, C, h, w]`` on the
                token grid (which covers the image padded to a multiple of the patch).
            patch_size (tuple[int, int]): the ViT's patch (pixels per token).
            image_size (tuple[int, int]): ``(H, W)`` of the image before padding.

        Returns:
            list[Tensor]: ``[B, out_channels, ceil(H / s), ceil(W / s)]`` for s = 4,
            8, 16, 32.
        """
        if len(feats) != len(self.levels):
            raise ValueError(f'SimpleFeaturePyramid takes {len(self.levels)} maps, '
                             f'got {len(feats)}')
        outs = []
        for level, feat, scale, stride in zip(self.levels, feats, SCALES, STRIDES):
            cell = (patch_size[0] / scale, patch_size[1] / scale)
            outs.append(resample_to_stride(level(feat), cell, stride, image_size))
        return outs
