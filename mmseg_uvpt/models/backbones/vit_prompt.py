"""A plain ViT (timm's ``VisionTransformer``: DINOv2 and the like) with the Uni-UVPT
prompt adapter and a trainable simple feature pyramid (docs/method.md §1, §2)."""
import os

import torch
import torch.nn.functional as F
from mmcv.utils import print_log
from mmseg.models.builder import BACKBONES
from timm.layers import Attention
from timm.models.vision_transformer import VisionTransformer, checkpoint_filter_fn

from ...checkpoints import CheckpointError, load_checkpoint_file
from ...checkpoints.fit import summarise_keys
from ...checkpoints.state_keys import unwrap_state_dict
from .prompted import PromptedBackboneMixin, stock_argument
from .simple_pyramid import SimpleFeaturePyramid

#: prompt levels of a plain ViT: 1/8, 1/16, 1/32 (ViT-Adapter's spatial prior module)
VIT_PROMPT_STRIDES = (8, 16, 32)
#: VisionTransformer arguments ViTPrompt sets itself (the stock part is a backbone:
#: no classifier, tokens on a grid for any image size)
_FIXED = dict(num_classes=0, global_pool='', dynamic_img_size=True, dynamic_img_pad=True)


def read_state_dict(path):
    """The state dict in ``path``: a ``.safetensors`` file (timm's weights on the
    Hugging Face hub) or a PyTorch file loaded with ``weights_only=True`` (the
    official DINOv2 checkpoints, ``state_dict``/``model`` wrappers tolerated).
    Raises CheckpointError naming the file."""
    path = os.fspath(path)
    if path.endswith('.safetensors'):
        if not os.path.isfile(path):
            raise CheckpointError(f'checkpoint {path} does not exist')
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            return load_file(path, device='cpu')
        except (SafetensorError, OSError) as err:
            raise CheckpointError(f'checkpoint {path} cannot be read: {err}') from None
    return unwrap_state_dict(load_checkpoint_file(path), path)


def load_vit_weights(model, path, prefix='', logger=None):
    """Load a ViT checkpoint into the stock part of ``model`` (a ``ViTPrompt``)
    through timm's ``checkpoint_filter_fn``, which turns the official DINOv2 files
    (``mask_token``, ``register_tokens``) into timm's names and resamples a position
    embedding (or patch embedding) of another size with timm's helpers.

    The filtered keys must be exactly the stock keys of the model, with the same
    shapes; otherwise nothing is loaded and a CheckpointError names the file and the
    differences. The adapter and the pyramid are left as they are.

    Args:
        model (ViTPrompt): the backbone.
        path (str): ``.pth``/``.pt`` or ``.safetensors``.
        prefix (str): only keys under this prefix, with it removed (e.g.
            ``'backbone.'`` for the backbone of a whole segmentor's checkpoint).
        logger: gets a one-line report.
    """
    state = read_state_dict(path)
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not state:
            raise CheckpointError(f'checkpoint {path} has no key under {prefix!r}')
    try:
        state = checkpoint_filter_fn(state, model)
    except Exception as err:  # timm's converters assume keys that may be absent
        raise CheckpointError(
            f'checkpoint {path}: timm\'s checkpoint_filter_fn cannot convert it '
            f'({type(err).__name__}: {err}); is it a ViT checkpoint?') from None
    own = {k: v for k, v in model.state_dict().items()
           if k.split('.')[0] not in model.TRAINABLE_CHILDREN}
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f'{k} (file {tuple(state[k].shape)}, model {tuple(own[k].shape)})'
                  for k in own if k in state and tuple(state[k].shape) != own[k].shape]
    if missing or unexpected or mismatched:
        parts = [f'{len(keys)} keys {what} (e.g. {summarise_keys(keys)})'
                 for what, keys in (('missing', missing), ('unexpected', unexpected),
                                    ('with another shape', mismatched)) if keys]
        raise CheckpointError(
            f'checkpoint {path} does not fit the frozen ViT of the config '
            f'({model.arch_summary()}) after timm\'s checkpoint_filter_fn: '
            + '; '.join(parts) + '. Use the config of the checkpoint\'s '
            'architecture (configs/_base_/models/daformer_vit-*.py; registers: '
            'reg_tokens=4, no_embed_class=True)')
    model.load_state_dict(state, strict=False)
    print_log(f'ViT weights: {len(state)} tensors from {path}', logger=logger)


@BACKBONES.register_module()
class ViTPrompt(PromptedBackboneMixin, VisionTransformer):
    """timm's ``VisionTransformer`` (stock parameter names: timm's DINOv2 models
    ``vit_{base,large}_patch14_dinov2`` and ``..._reg4_dinov2`` are its stock part)
    with a prompt adapter and a trainable simple feature pyramid.

    The blocks are split into four groups (as ViT-Adapter splits a plain ViT); the
    prompts are injected into the patch tokens before each group (the class and
    register tokens pass untouched). Every group's output, normalised with the
    ViT's final norm (as DINOv2's ``get_intermediate_layers(norm=True)``), is one
    input of the pyramid, which gives the head maps at 1/4, 1/8, 1/16, 1/32.

    The image is padded at the bottom and right to a multiple of the patch (timm's
    ``dynamic_img_pad``), the position embedding resampled by timm to the grid
    (``dynamic_img_size``), so any size runs (512 crops and 1024×512 images with
    patch 14). The prompt generator sees the same padded image, so prompts and
    tokens share one frame for the deformable attention.

    Args:
        group_depths (Sequence[int] | None): Blocks per group, four groups summing
            to ``depth``; None: four equal groups.
        pyramid_channels (int): Width of the pyramid's four outputs.
        prompt_cfg (dict, optional): ``PromptAdapter`` arguments (see
            ``SwinPrompt``). ``single_grid`` must be True (set if absent: no
            hand-over convs, one token grid) and ``prompt_strides`` defaults to
            (8, 16, 32).
        freeze_backbone (bool): ``requires_grad_(False)`` on every stock parameter
            (the pyramid, like the adapter, stays trainable).
        frozen_drop_path (bool): Frozen stock modules follow ``train()`` (stochastic
            depth and dropout active in training). When False they stay in eval mode.
        fused_attention (bool): timm's attention through
            ``F.scaled_dot_product_attention`` (its ``fused_attn``); False: timm's
            explicit softmax attention.
        with_cp (bool): Gradient checkpointing of every stock block (non-reentrant).
        with_prompt_adapter (bool): False builds no adapter (``prompt_cfg`` must be
            None): the frozen ViT + pyramid of a source model.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=PATH,
            prefix='')``: the stock part's weights, loaded by ``init_weights``
            through timm's ``checkpoint_filter_fn`` (official DINOv2 ``.pth`` or
            timm ``.safetensors``/``.pth``; model/README.md). None: timm's random
            init.
        pretrained (str, optional): shorthand for ``init_cfg``'s checkpoint.
        **kwargs: ``VisionTransformer`` arguments (``img_size``, ``patch_size``,
            ``embed_dim``, ``depth``, ``num_heads``, ``init_values``,
            ``reg_tokens``, ``no_embed_class``, ``drop_path_rate``, ...).
            ``num_classes``, ``global_pool``, ``dynamic_img_size`` and
            ``dynamic_img_pad`` are set here.
    """

    TRAINABLE_CHILDREN = ('prompt_adapter', 'pyramid')

    def __init__(self, group_depths=None, pyramid_channels=256, prompt_cfg=None,
                 freeze_backbone=True, frozen_drop_path=True, fused_attention=True,
                 with_cp=False, with_prompt_adapter=True, init_cfg=None, pretrained=None,
                 **kwargs):
        fixed = sorted(k for k in _FIXED if k in kwargs)
        if fixed:
            raise ValueError(f'ViTPrompt sets {", ".join(fixed)} itself')
        if kwargs.get('patch_drop_rate', 0) > 0:
            raise ValueError('ViTPrompt: patch_drop_rate drops tokens off the grid '
                             'that the prompts and the pyramid need; leave it 0')
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('ViTPrompt: give init_cfg or pretrained, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if init_cfg is not None and (init_cfg.get('type') != 'Pretrained'
                                     or 'checkpoint' not in init_cfg
                                     or set(init_cfg) - {'type', 'checkpoint', 'prefix'}):
            raise ValueError("ViTPrompt: init_cfg must be dict(type='Pretrained', "
                             f"checkpoint=PATH[, prefix=...]) or None, got {init_cfg}")
        super().__init__(**_FIXED, **kwargs)
        self.init_cfg = None if init_cfg is None else dict(init_cfg)
        depth = len(self.blocks)
        if group_depths is None:
            if depth % 4:
                raise ValueError(f'ViTPrompt: depth {depth} does not split into four '
                                 'equal groups; give group_depths')
            group_depths = [depth // 4] * 4
        group_depths = [int(d) for d in group_depths]
        if len(group_depths) != 4 or sum(group_depths) != depth or min(group_depths) < 1:
            raise ValueError(f'ViTPrompt: group_depths must be four positive numbers '
                             f'summing to depth {depth}, got {group_depths}')
        ends = [sum(group_depths[:i + 1]) for i in range(4)]
        self.group_slices = [(end - d, end) for d, end in zip(group_depths, ends)]
        self.num_stages = 4  # UVPTSegmentor's count of injected maps
        self.out_indices = (0, 1, 2, 3)
        for m in self.modules():
            if isinstance(m, Attention):
                m.fused_attn = bool(fused_attention)
        if prompt_cfg is not None:
            prompt_cfg = dict(prompt_cfg)
            if not prompt_cfg.setdefault('single_grid', True):
                raise ValueError('ViTPrompt: prompt_cfg.single_grid must be True (one '
                                 'token grid and width for every group)')
            prompt_cfg.setdefault('prompt_strides', VIT_PROMPT_STRIDES)
        drop_path_rate = stock_argument(VisionTransformer, kwargs, 'drop_path_rate')
        self._setup_prompting([self.embed_dim] * 4, freeze_backbone, frozen_drop_path,
                              fused_attention, with_cp, prompt_cfg, drop_path_rate,
                              with_prompt_adapter)
        # built after freezing: trainable, in source models too
        self.pyramid = SimpleFeaturePyramid(self.embed_dim, pyramid_channels)

    def arch_summary(self):
        """``'ViT, embed dim 768, depth 12, patch 14, 4 register tokens'``."""
        regs = f', {self.num_reg_tokens} register tokens' if self.num_reg_tokens else ''
        return (f'ViT, embed dim {self.embed_dim}, depth {len(self.blocks)}, patch '
                f'{self.patch_embed.patch_size[0]}{regs}')

    def init_weights(self, mode='', needs_reset=True):
        """The stock part from ``init_cfg``'s checkpoint (or timm's random init),
        then the pyramid's and the adapter's own init.

        timm's constructor calls this too, before the pyramid and the adapter exist;
        then it is timm's init alone."""
        if 'pyramid' not in self._modules:
            return VisionTransformer.init_weights(self, mode, needs_reset)
        if self.init_cfg is None:
            VisionTransformer.init_weights(self, mode, needs_reset)
        else:
            load_vit_weights(self, self.init_cfg['checkpoint'],
                             self.init_cfg.get('prefix', ''))
        self.pyramid.init_weights()
        if self.prompt_adapter is not None:
            self.prompt_adapter.init_weights()

    # --- forward -----------------------------------------------------------------
    def _pad(self, img):
        """The image padded at the bottom and right to a multiple of the patch, as
        timm's ``dynamic_img_pad`` pads it, and the size before padding."""
        height, width = img.shape[-2:]
        ph, pw = self.patch_embed.patch_size
        pad_h, pad_w = (-height) % ph, (-width) % pw
        if pad_h or pad_w:
            img = F.pad(img, (0, pad_w, 0, pad_h))
        return img, (height, width)

    def _forward(self, img, collect_injected):
        img, image_size = self._pad(img)
        groups, injected = super()._forward(img, collect_injected)
        return self.pyramid(groups, self.patch_embed.patch_size, image_size), injected

    def forward_groups(self, img):
        """The four normalised group outputs ``[B, C, h, w]`` on the token grid
        (before the pyramid); ``h = ceil(H / patch)``."""
        img, _ = self._pad(img)
        return super()._forward(img, collect_injected=False)[0]

    def _stage_tokens(self, i, carry):
        if i == 0:
            x = self.patch_embed(carry)  # NHWC (dynamic_img_size)
            hw_shape = tuple(x.shape[1:3])
            x = self.norm_pre(self.patch_drop(self._pos_embed(x)))
        else:
            x, hw_shape = carry
        prefix = self.num_prefix_tokens
        return x[:, prefix:], hw_shape, x[:, :prefix]

    def _run_stage(self, i, tokens, hw_shape, prefix_tokens):
        x = torch.cat([prefix_tokens, tokens], dim=1)
        start, end = self.group_slices[i]
        for block in self.blocks[start:end]:
            x = self._run_block(block, x)
        out = self.norm(x[:, self.num_prefix_tokens:])
        out = out.transpose(1, 2).reshape(out.shape[0], -1, *hw_shape).contiguous()
        return (x, hw_shape), out
