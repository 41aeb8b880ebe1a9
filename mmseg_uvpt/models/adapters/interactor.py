"""Interactor between the prompts and the stage tokens before each frozen stage:
the extractor updates the prompts from the stage tokens, the injector adds what the
stage tokens read from the prompts, scaled by a learnt per-channel γ."""
import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.drop import build_dropout

from ...ops import MSDeformAttn
from .conv_ffn import ConvFFN


def reference_points(shapes, device, dtype=torch.float32):
    """Normalised pixel centres (x, y) of every token of the levels ``shapes``, in
    row-major order, as ``[1, Σ h·w, 1, 2]`` (broadcast over batch and value levels)."""
    points = []
    for h, w in shapes:
        ys = (torch.arange(h, device=device, dtype=dtype) + 0.5) / h
        xs = (torch.arange(w, device=device, dtype=dtype) + 0.5) / w
        ys, xs = torch.meshgrid(ys, xs, indexing='ij')
        points.append(torch.stack((xs.reshape(-1), ys.reshape(-1)), -1))
    return torch.cat(points)[None, :, None]


def _layer_norm(dims):
    return nn.LayerNorm(dims, eps=1e-6)


class Extractor(nn.Module):
    """Prompts query the stage tokens (one value level), residual; then a ConvFFN with
    pre-LayerNorm and a residual branch under stochastic depth.

    Args:
        embed_dims (int): Width of prompts and stage tokens.
        num_heads (int): Deformable-attention heads.
        n_points (int): Sampling points per head.
        deform_ratio (float): Value-projection width as a fraction of ``embed_dims``.
        cffn_ratio (float): ConvFFN hidden width as a fraction of ``embed_dims``.
        attn_impl (str): Deformable-attention path (``'auto'|'pytorch'|'cuda'``).
        drop_path (float): DropPath probability of the ConvFFN branch in training
            (the reference release uses the backbone's ``drop_path_rate``).
    """

    def __init__(self, embed_dims, num_heads=16, n_points=4, deform_ratio=0.5,
                 cffn_ratio=0.25, attn_impl='auto', drop_path=0.):
        super().__init__()
        self.query_norm = _layer_norm(embed_dims)
        self.feat_norm = _layer_norm(embed_dims)
        self.attn = MSDeformAttn(embed_dims, n_levels=1, n_heads=num_heads,
                                 n_points=n_points, ratio=deform_ratio, impl=attn_impl)
        self.ffn_norm = _layer_norm(embed_dims)
        self.ffn = ConvFFN(embed_dims, int(embed_dims * cffn_ratio))
        self.drop_path = build_dropout(dict(type='DropPath', drop_prob=drop_path)) \
            if drop_path > 0 else nn.Identity()

    def forward(self, prompts, prompt_shapes, prompt_refs, feat, feat_shape):
        prompts = prompts + self.attn(self.query_norm(prompts), prompt_refs,
                                      self.feat_norm(feat), [feat_shape])
        return prompts + self.drop_path(self.ffn(self.ffn_norm(prompts), prompt_shapes))


class Injector(nn.Module):
    """Stage tokens query the prompt levels; the result, scaled by a per-channel γ,
    is added to the stage tokens. With γ = 0 the stage tokens pass unchanged.

    Args:
        embed_dims (int): Width of prompts and stage tokens.
        num_levels (int): Number of prompt levels.
        num_heads (int): Deformable-attention heads.
        n_points (int): Sampling points per head and level.
        deform_ratio (float): Value-projection width as a fraction of ``embed_dims``.
        init_gamma (float): Initial value of every γ.
        attn_impl (str): Deformable-attention path (``'auto'|'pytorch'|'cuda'``).
    """

    def __init__(self, embed_dims, num_levels=3, num_heads=16, n_points=4,
                 deform_ratio=0.5, init_gamma=1e-6, attn_impl='auto'):
        super().__init__()
        self.init_gamma = init_gamma
        self.query_norm = _layer_norm(embed_dims)
        self.feat_norm = _layer_norm(embed_dims)
        self.attn = MSDeformAttn(embed_dims, n_levels=num_levels, n_heads=num_heads,
                                 n_points=n_points, ratio=deform_ratio, impl=attn_impl)
        self.gamma = nn.Parameter(torch.full((embed_dims,), float(init_gamma)))

    def forward(self, feat, feat_refs, prompts, prompt_shapes):
        return feat + self.gamma * self.attn(self.query_norm(feat), feat_refs,
                                             self.feat_norm(prompts), prompt_shapes)


class Interactor(nn.Module):
    """Extractor, then injector reading the extractor's (updated) prompts.

    Args:
        embed_dims (int): Width of prompts and stage tokens.
        num_heads (int): Deformable-attention heads.
        n_points (int): Sampling points per head and level.
        deform_ratio (float): Value-projection width as a fraction of ``embed_dims``.
        cffn_ratio (float): ConvFFN hidden width as a fraction of ``embed_dims``.
        init_gamma (float): Initial γ of the injector.
        with_cp (bool): Recompute the interaction in backward to save memory.
        attn_impl (str): Deformable-attention path (``'auto'|'pytorch'|'cuda'``).
        drop_path (float): DropPath probability of the extractor's ConvFFN branch.
    """

    def __init__(self, embed_dims, num_heads=16, n_points=4, deform_ratio=0.5,
                 cffn_ratio=0.25, init_gamma=1e-6, with_cp=False, attn_impl='auto',
                 drop_path=0.):
        super().__init__()
        self.with_cp = with_cp
        self.extractor = Extractor(embed_dims, num_heads, n_points, deform_ratio,
                                   cffn_ratio, attn_impl, drop_path)
        self.injector = Injector(embed_dims, 3, num_heads, n_points, deform_ratio,
                                 init_gamma, attn_impl)

    def forward(self, feat, feat_shape, prompts, prompt_shapes):
        """
        Args:
            feat (Tensor): Stage tokens ``[B, H·W, C]``.
            feat_shape (tuple): ``(H, W)``.
            prompts (Tensor): Prompt tokens ``[B, Σ h·w, C]``, finest level first.
            prompt_shapes (list[tuple]): ``(h, w)`` of each prompt level.

        Returns:
            tuple: injected stage tokens ``[B, H·W, C]`` and the updated prompts.
        """
        prompt_refs = reference_points(prompt_shapes, feat.device)
        feat_refs = reference_points([feat_shape], feat.device)

        def interact(feat, prompts):
            updated = self.extractor(prompts, prompt_shapes, prompt_refs, feat, feat_shape)
            return self.injector(feat, feat_refs, updated, prompt_shapes), updated

        if self.with_cp and torch.is_grad_enabled() and any(
                p.requires_grad for p in self.parameters()):
            return cp.checkpoint(interact, feat, prompts, use_reentrant=False)
        return interact(feat, prompts)
