"""Which backbone parameters train: the parameter-efficient baselines of
docs/variants.md (BitFit, LoRA, full fine-tuning) beside Uni-UVPT's frozen backbone.

:func:`set_backbone_tuning` sets ``requires_grad`` of the stock backbone parameters
(everything but a prompt adapter and a ViT's feature pyramid, whose flags it leaves
alone) for one mode:

- ``'frozen'``: none trains (Uni-UVPT, and the decode-head-only baseline);
- ``'bitfit'``: the bias terms and the norm layers' parameters (Ben Zaken et al.,
  ACL 2022; the norms as in most vision BitFit baselines). Swin's
  ``relative_position_bias_table`` is an attention table, not a bias term: frozen;
- ``'lora'``: low-rank updates of every attention projection, base weights frozen
  (:func:`inject_lora_`);
- ``'full'``: every backbone parameter.

LoRA (Hu et al., ICLR 2022) is written here rather than taken from ``peft``:
peft 0.21.2 imports ``transformers`` and ``accelerate`` at import time and would add
14 packages, 21.6 MiB of wheels (transformers 13.1, tokenizers 3.2, kernels 2.5), to
this plug-in; its wrappers move a base weight to ``<module>.base_layer.weight``, so
the state-dict keys would no longer be the source checkpoint's and the prompt-only
checkpoints (``checkpoints/prompt_only.py``, which find the frozen tensors in the
source by key) would not apply; and MiT's q/k/v projection is the packed
``in_proj_weight`` of an ``nn.MultiheadAttention``, not an ``nn.Linear``.

Here a projection keeps its module, class hierarchy and parameter names: the module
is re-classed in place (as ``fused_attention.fuse_attention_`` does) and gains two
parameters, ``lora_A`` [r, in] (Kaiming-uniform, as loralib and peft) and ``lora_B``
[out, r] (zero, so the tuned model starts as the source model), and computes
``W x + b + (alpha / r) · B A x``. The targets: Swin's ``qkv`` and ``proj``
``nn.Linear``; MiT's packed in-projection (q, k and v as one [3C, C] matrix, as
Swin's ``qkv``) and ``out_proj``. Per attention block of width C that is
``r·C + 3C·r`` + ``r·C + C·r`` = ``6·r·C`` parameters.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.utils.parrots_wrapper import _BatchNorm, _InstanceNorm
from mmseg.models.backbones.mit import EfficientMultiheadAttention
from mmseg.models.backbones.swin import WindowMSA

from ...checkpoints.state_keys import is_lora_key
from .fused_attention import FusedEfficientMultiheadAttention

BACKBONE_TUNING_MODES = ('frozen', 'bitfit', 'lora', 'full')
#: parameter names of bias terms (nn.MultiheadAttention's packed one included)
BIAS_NAMES = ('bias', 'in_proj_bias')
NORM_TYPES = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)
#: trainable non-stock children of a backbone without ``TRAINABLE_CHILDREN``
_SKIP = ('prompt_adapter',)


def _skipped(backbone):
    """Top-level children whose flags are their own: the prompt adapter, and a
    prompted ViT's feature pyramid (``PromptedBackboneMixin.TRAINABLE_CHILDREN``)."""
    return tuple(getattr(backbone, 'TRAINABLE_CHILDREN', _SKIP))


def _add_lora(module, in_features, out_features, rank, alpha, weight):
    """Register ``lora_A``/``lora_B`` on ``module`` (like ``weight``'s dtype/device;
    the names are ``checkpoints.state_keys.LORA_PARAM_NAMES``)."""
    lora_a = torch.empty(rank, in_features, dtype=weight.dtype, device=weight.device)
    nn.init.kaiming_uniform_(lora_a, a=math.sqrt(5))
    module.lora_A = nn.Parameter(lora_a)
    module.lora_B = nn.Parameter(torch.zeros(out_features, rank, dtype=weight.dtype,
                                             device=weight.device))
    module.lora_rank, module.lora_alpha = rank, alpha
    module.lora_scaling = alpha / rank


def _lora_delta(module):
    """``(alpha / r) · B A``, the low-rank update of the module's weight."""
    return (module.lora_B @ module.lora_A) * module.lora_scaling


class LoRALinear(nn.Linear):
    """An ``nn.Linear`` with a low-rank update (made by :func:`inject_lora_`)."""

    def forward(self, x):
        out = F.linear(x, self.weight, self.bias)
        return out + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.lora_scaling

    def extra_repr(self):
        return f'{super().extra_repr()}, lora_rank={self.lora_rank}, ' \
               f'lora_alpha={self.lora_alpha}'


class LoRAMultiheadAttention(nn.MultiheadAttention):
    """An ``nn.MultiheadAttention`` whose packed in-projection has a low-rank update.

    Only the fused attention path computes with it (``fused_attention.py`` asks for
    :meth:`lora_in_proj_weight`); the stock ``forward`` would silently drop the
    update, so it refuses to run."""

    def lora_in_proj_weight(self):
        return self.in_proj_weight + _lora_delta(self)

    def forward(self, *args, **kwargs):
        raise RuntimeError('LoRA on nn.MultiheadAttention computes in the fused '
                           'attention path only; build the backbone with '
                           'fused_attention=True')


def _lora_linear_(linear, rank, alpha):
    linear.__class__ = LoRALinear
    _add_lora(linear, linear.in_features, linear.out_features, rank, alpha,
              linear.weight)


def inject_lora_(backbone, rank=8, alpha=8):
    """Add LoRA to every attention projection of ``backbone`` in place (a prompt
    adapter's modules excepted); parameter requires_grad flags are left alone.

    Args:
        backbone (nn.Module): mmseg's Swin or MiT, or a prompted one (MiT's
            attention must be the fused one: ``fused_attention=True``, the default
            of the prompted backbones).
        rank (int): r, the rank of the update.
        alpha (float): the update is scaled by alpha / r.

    Returns:
        int: the number of projections given a LoRA update.
    """
    if rank < 1:
        raise ValueError(f'LoRA rank must be >= 1, got {rank}')
    count = 0
    skipped = _skipped(backbone)
    for name, module in backbone.named_modules():
        if name.split('.')[0] in skipped:
            continue
        if isinstance(module, WindowMSA):
            for linear in (module.qkv, module.proj):
                _lora_linear_(linear, rank, alpha)
                count += 1
        elif isinstance(module, EfficientMultiheadAttention):
            if not isinstance(module, FusedEfficientMultiheadAttention):
                raise ValueError('LoRA on MiT needs the fused attention '
                                 '(fused_attention=True): the stock '
                                 'nn.MultiheadAttention forward reads the packed '
                                 'weights directly')
            mha = module.attn
            mha.__class__ = LoRAMultiheadAttention
            dims = mha.embed_dim
            _add_lora(mha, dims, 3 * dims, rank, alpha, mha.in_proj_weight)
            _lora_linear_(mha.out_proj, rank, alpha)
            count += 2
    if not count:
        raise ValueError(f'{type(backbone).__name__} has no Swin or MiT attention '
                         'projection to give a LoRA update')
    return count


def _bitfit_names(backbone):
    norms = {f'{m_name}.{p_name}' if m_name else p_name
             for m_name, module in backbone.named_modules()
             if isinstance(module, NORM_TYPES)
             for p_name, _ in module.named_parameters(recurse=False)}
    return {name for name, _ in backbone.named_parameters()
            if name.rsplit('.', 1)[-1] in BIAS_NAMES or name in norms}


def set_backbone_tuning(backbone, mode, lora_cfg=None):
    """Set which stock parameters of ``backbone`` train (module docstring); a prompt
    adapter's parameters are left as they are (trainable). ``lora_cfg``:
    ``dict(rank, alpha)`` for ``'lora'`` (default rank 8, alpha 8). Returns the
    backbone."""
    if mode not in BACKBONE_TUNING_MODES:
        raise ValueError(f'backbone_tuning must be one of {BACKBONE_TUNING_MODES} or '
                         f'None, got {mode!r}')
    if lora_cfg is not None and mode != 'lora':
        raise ValueError(f"lora_cfg is set but backbone_tuning is {mode!r}, not 'lora'")
    if mode == 'lora':
        inject_lora_(backbone, **dict(lora_cfg or {}))
    trained = set()
    if mode == 'bitfit':
        trained = _bitfit_names(backbone)
    skipped = _skipped(backbone)
    for name, param in backbone.named_parameters():
        if name.split('.')[0] in skipped:
            continue  # the adapter's (and a ViT pyramid's) flags are their own
        if mode == 'full':
            param.requires_grad_(True)
        elif mode == 'lora':
            param.requires_grad_(is_lora_key(name))
        else:
            param.requires_grad_(name in trained)
    return backbone
