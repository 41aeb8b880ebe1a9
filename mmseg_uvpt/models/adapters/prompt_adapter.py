"""The trainable prompt adapter of a prompted backbone: prompt generator, one
interactor per stage and the hand-over convs between stages (docs/method.md §2)."""
import math

import torch.nn as nn
from mmcv.cnn.utils.weight_init import constant_init, normal_init, trunc_normal_init
from torch.nn.modules.batchnorm import _BatchNorm

from ...ops import MSDeformAttn
from .conv_ffn import merge_levels, split_levels
from .interactor import Injector, Interactor
from .prompt_generator import PromptGenerator

HANDOVER_MODES = ('updated', 'input')


class PromptHandover(nn.Module):
    """Takes each prompt level to the next stage's width at half its resolution, with
    its own 3×3 stride-2 conv without bias.

    Args:
        in_dims (int): Width of this stage.
        out_dims (int): Width of the next stage.
        num_levels (int): Number of prompt levels.
    """

    def __init__(self, in_dims, out_dims, num_levels=3):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_dims, out_dims, 3, stride=2, padding=1, bias=False)
            for _ in range(num_levels))

    def forward(self, prompts, shapes):
        maps = [conv(m) for conv, m in zip(self.convs, split_levels(prompts, shapes))]
        return merge_levels(maps), [tuple(m.shape[-2:]) for m in maps]


class PromptAdapter(nn.Module):
    """Prompt generator, per-stage interactors and hand-over convs.

    The backbone drives it stage by stage: ``generate`` on the image, then before each
    frozen stage ``interact`` and, between stages, ``hand_over``.

    Args:
        embed_dims (Sequence[int]): Width of each backbone stage.
        num_heads (int | Sequence[int]): Deformable-attention heads (per stage).
        n_points (int): Sampling points per head and level.
        deform_ratio (float): Value-projection width as a fraction of the stage width.
        cffn_ratio (float): ConvFFN hidden width as a fraction of the stage width.
        inplanes (int): Width of the prompt generator's stem.
        norm_cfg (dict): Norm of the prompt generator (``BN``; ``SyncBN`` under DDP on
            GPUs), an mmcv ``build_norm_layer`` config.
        init_gamma (float): Initial γ of every injector.
        prompt_handover (str): Which prompts go to the next stage: ``'updated'``
            (the extractor's output, as in the paper) or ``'input'`` (the prompts
            before the extractor, as in the reference release).
        with_cp (bool): Gradient checkpointing of each interactor.
        attn_impl (str): Deformable-attention path (``'auto'|'pytorch'|'cuda'``).
        level_embed (bool): The prompt generator adds its learnt per-level
            embedding (True, the paper and the release's Swin-B) or has none (False,
            as the release's MiT-B5 computes).
        drop_path_rate (float | None): DropPath probability of every extractor's
            ConvFFN branch, active in training. The prompted backbones replace None
            by their own ``drop_path_rate``, as the reference release does; built
            directly, None means 0.
        prompt_strides (Sequence[int]): Strides of the generator's three prompt
            levels w.r.t. the image: (2, 4, 8) for the hierarchical backbones (2×,
            1×, ½× the stage-1 grid at 1/4), (8, 16, 32) for a plain ViT (about 2×,
            1×, ½× its one grid, as in ViT-Adapter).
        single_grid (bool): Every stage has the same width and the same token grid
            (the block groups of a plain ViT): no hand-over convs; the prompts go to
            the next stage as they are (the extractor's output or the input, per
            ``prompt_handover``), as ViT-Adapter carries them between its
            interactions. docs/method.md §2.
    """

    def __init__(self, embed_dims, num_heads=16, n_points=4, deform_ratio=0.5,
                 cffn_ratio=0.25, inplanes=64, norm_cfg=dict(type='BN', requires_grad=True),
                 init_gamma=1e-6, prompt_handover='updated', with_cp=False,
                 attn_impl='auto', level_embed=True, drop_path_rate=None,
                 prompt_strides=(2, 4, 8), single_grid=False):
        super().__init__()
        if prompt_handover not in HANDOVER_MODES:
            raise ValueError(f'prompt_cfg.prompt_handover must be one of {HANDOVER_MODES}, '
                             f'got {prompt_handover!r}')
        embed_dims = list(embed_dims)
        if isinstance(num_heads, int):
            num_heads = [num_heads] * len(embed_dims)
        if len(num_heads) != len(embed_dims):
            raise ValueError(f'prompt_cfg.num_heads {num_heads} needs one entry per stage '
                             f'({len(embed_dims)})')
        if single_grid and len(set(embed_dims)) != 1:
            raise ValueError('prompt_cfg.single_grid needs one width for every stage, '
                             f'got {embed_dims}')
        self.embed_dims = embed_dims
        self.prompt_handover = prompt_handover
        self.single_grid = bool(single_grid)
        if drop_path_rate is not None and not 0 <= drop_path_rate < 1:
            raise ValueError('prompt_cfg.drop_path_rate must be in [0, 1), got '
                             f'{drop_path_rate}')
        self.generator = PromptGenerator(embed_dims[0], inplanes, norm_cfg, level_embed,
                                         prompt_strides)
        self.interactors = nn.ModuleList(
            Interactor(dims, heads, n_points, deform_ratio, cffn_ratio, init_gamma,
                       with_cp, attn_impl, drop_path_rate or 0.)
            for dims, heads in zip(embed_dims, num_heads))
        self.handovers = nn.ModuleList(
            PromptHandover(embed_dims[i], embed_dims[i + 1])
            for i in range(len(embed_dims) - 1) if not single_grid)
        self.init_weights()

    def generate(self, img):
        """Stage-1 prompts from the image: ``(tokens [B, Σ h·w, C0], shapes)``."""
        return self.generator(img)

    def interact(self, stage, feat, feat_shape, prompts, prompt_shapes):
        """Runs interactor ``stage``.

        Returns:
            tuple: the injected stage tokens and the prompts to hand over (the updated
            or the input prompts, per ``prompt_handover``).
        """
        feat, updated = self.interactors[stage](feat, feat_shape, prompts, prompt_shapes)
        return feat, updated if self.prompt_handover == 'updated' else prompts

    def hand_over(self, stage, prompts, prompt_shapes):
        """Prompts of stage ``stage`` → prompts of stage ``stage + 1`` and their shapes
        (unchanged with ``single_grid``)."""
        if self.single_grid:
            return prompts, prompt_shapes
        return self.handovers[stage](prompts, prompt_shapes)

    def init_weights(self):
        """Linear trunc-normal(0.02); LN/BN 1/0; conv N(0, √(2/fan_out)); level
        embedding (if any) N(0, 1); deformable attention per Deformable DETR;
        γ = init_gamma."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, bias=0.)
            elif isinstance(m, (nn.LayerNorm, _BatchNorm, nn.GroupNorm)):
                constant_init(m, val=1.0, bias=0.)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
                normal_init(m, mean=0, std=math.sqrt(2.0 / fan_out), bias=0)
        for m in self.modules():
            if isinstance(m, MSDeformAttn):
                m.reset_parameters()
            elif isinstance(m, Injector):
                nn.init.constant_(m.gamma, m.init_gamma)
        if self.generator.level_embed is not None:
            nn.init.normal_(self.generator.level_embed)
