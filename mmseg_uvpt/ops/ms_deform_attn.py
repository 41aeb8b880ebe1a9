"""Multi-scale deformable attention module (Deformable DETR), as used by the prompt
adapter's extractor and injector.

mmcv's ``MultiScaleDeformableAttention`` does not fit: it has no reduced value width
(``ratio``), adds its own residual and dropout, and takes its query in a different
layout; so the projections live here and only the sampling core is shared.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .ms_deform_attn_func import multi_scale_deform_attn, shapes_as_tuples


class MSDeformAttn(nn.Module):
    """Multi-scale deformable attention.

    Args:
        d_model (int): Width of query and value tokens (and of the output).
        n_levels (int): Number of value levels.
        n_heads (int): Number of attention heads.
        n_points (int): Sampling points per head and level.
        ratio (float): Width of the value projection as a fraction of ``d_model``.
        impl (str): Sampling path, ``'auto'``, ``'pytorch'`` or ``'cuda'``
            (see ``mmseg_uvpt.ops.ms_deform_attn_func``).
        im2col_step (int): Batch chunk of the CUDA kernel.
    """

    def __init__(self, d_model=256, n_levels=4, n_heads=8, n_points=4, ratio=1.0,
                 impl='auto', im2col_step=64):
        super().__init__()
        value_dims = int(d_model * ratio)
        if value_dims % n_heads:
            raise ValueError(f'MSDeformAttn: value width {value_dims} (d_model {d_model} '
                             f'x ratio {ratio}) must be divisible by n_heads {n_heads}')
        self.d_model = d_model
        self.n_levels = n_levels
        self.n_heads = n_heads
        self.n_points = n_points
        self.value_dims = value_dims
        self.impl = impl
        self.im2col_step = im2col_step

        self.sampling_offsets = nn.Linear(d_model, n_heads * n_levels * n_points * 2)
        self.attention_weights = nn.Linear(d_model, n_heads * n_levels * n_points)
        self.value_proj = nn.Linear(d_model, value_dims)
        self.output_proj = nn.Linear(value_dims, d_model)
        self.reset_parameters()

    def reset_parameters(self):
        """Deformable-DETR initialisation: every head starts with fixed sampling points
        on a ray (head h along angle 2πh/heads), point k at radius k+1 in the max-norm
        (the direction is scaled so its larger component is 1, as in Deformable DETR),
        uniform attention over the points, Xavier value/output projections."""
        nn.init.zeros_(self.sampling_offsets.weight)
        thetas = torch.arange(self.n_heads, dtype=torch.float64) * (2.0 * math.pi / self.n_heads)
        direction = torch.stack([thetas.cos(), thetas.sin()], -1)
        direction = direction / direction.abs().max(-1, keepdim=True)[0]
        radius = torch.arange(1, self.n_points + 1, dtype=torch.float64)
        grid = direction[:, None, None, :] * radius[None, None, :, None]
        grid = grid.expand(self.n_heads, self.n_levels, self.n_points, 2)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(grid.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        for proj in (self.value_proj, self.output_proj):
            nn.init.xavier_uniform_(proj.weight)
            nn.init.zeros_(proj.bias)

    def forward(self, query, reference_points, value_tokens, spatial_shapes,
                level_start_index=None):
        """
        Args:
            query (Tensor): ``[B, Lq, C]``.
            reference_points (Tensor): ``[B, Lq, L, 2]`` normalised (x, y) in [0, 1];
                size 1 in the batch or level dimension broadcasts.
            value_tokens (Tensor): ``[B, Lv, C]``, the L levels flattened and
                concatenated.
            spatial_shapes (Tensor | Sequence): ``[L, 2]`` (h, w) per level.
            level_start_index (Tensor, optional): ``[L]``; derived when None.

        Returns:
            Tensor: ``[B, Lq, C]``.
        """
        B, Lq, _ = query.shape
        shapes = shapes_as_tuples(spatial_shapes)
        if len(shapes) != self.n_levels:
            raise ValueError(f'MSDeformAttn built for {self.n_levels} levels, '
                             f'got spatial_shapes {shapes}')
        value = self.value_proj(value_tokens)
        value = value.view(B, value.shape[1], self.n_heads, self.value_dims // self.n_heads)

        offsets = self.sampling_offsets(query).view(
            B, Lq, self.n_heads, self.n_levels, self.n_points, 2)
        weights = self.attention_weights(query).view(
            B, Lq, self.n_heads, self.n_levels * self.n_points)
        weights = F.softmax(weights, -1).view(
            B, Lq, self.n_heads, self.n_levels, self.n_points)

        # Offsets are in pixels of each level: divide by (w, h) to normalise.
        normalizer = reference_points.new_tensor([(w, h) for h, w in shapes])
        locations = (reference_points[:, :, None, :, None, :]
                     + offsets / normalizer[None, None, None, :, None, :])

        out = multi_scale_deform_attn(value, spatial_shapes, locations, weights,
                                      level_start_index, impl=self.impl,
                                      im2col_step=self.im2col_step)
        return self.output_proj(out)
