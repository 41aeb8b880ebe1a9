"""What ``SwinPrompt`` and ``MiTPrompt`` share: the prompt adapter, freezing of the
stock backbone, the train-mode policy of frozen modules, weight init and the
stage-by-stage forward with injection before each stage."""
import inspect

import torch.utils.checkpoint as cp
from mmseg.models.utils import nlc_to_nchw

from ..adapters import PromptAdapter
from .fused_attention import fuse_attention_


def stock_argument(stock_cls, kwargs, name):
    """``kwargs[name]``, else the default of ``stock_cls.__init__``'s ``name``."""
    if name in kwargs:
        return kwargs[name]
    return inspect.signature(stock_cls.__init__).parameters[name].default


class PromptedBackboneMixin:
    """Mixed in before a stock mmseg backbone class. Subclasses call
    ``_setup_prompting`` at the end of ``__init__`` and implement ``_stage_tokens`` and
    ``_run_stage``.

    Injection point, for every backbone: the stage tokens of stage i at the stage's
    own width and grid, right before the first transformer block of stage i (Swin:
    after the patch embedding (i = 0) or the previous stage's patch merging; MiT:
    after stage i's overlapping patch embedding; ViT: the patch tokens before block
    group i). The frozen rest of stage i then runs on the injected tokens.
    """

    #: top-level children that are not part of the stock backbone and stay
    #: trainable (built after freezing; ``train()`` and ``models/backbones/peft.py``
    #: leave them alone)
    TRAINABLE_CHILDREN = ('prompt_adapter',)

    def _setup_prompting(self, stage_dims, freeze_backbone, frozen_drop_path,
                         fused_attention, with_cp, prompt_cfg, drop_path_rate,
                         with_prompt_adapter=True):
        """``drop_path_rate``: the stock backbone's; the extractors' ConvFFN branches
        use it unless ``prompt_cfg.drop_path_rate`` is a number.
        ``with_prompt_adapter=False`` builds no adapter (the "without the prompt
        adapter" ablation and the baselines of docs/variants.md): the backbone then
        computes the stock forward, with the freezing, fused attention and
        checkpointing set here; ``prompt_cfg`` must then be None."""
        if not with_prompt_adapter and prompt_cfg is not None:
            raise ValueError(f'{type(self).__name__}: with_prompt_adapter=False builds '
                             'no adapter, so prompt_cfg must be None (got '
                             f'{prompt_cfg})')
        self.num_run_stages = len(stage_dims)
        self.freeze_backbone = freeze_backbone
        self.frozen_drop_path = frozen_drop_path
        self.fused_attention = fused_attention
        # Checkpointing of the frozen blocks is done here (non-reentrant), not by the
        # stock blocks' reentrant `with_cp`.
        self.with_cp = with_cp
        if fused_attention:
            fuse_attention_(self)
        if freeze_backbone:
            self.requires_grad_(False)
        if not with_prompt_adapter:
            self.prompt_adapter = None
            return
        prompt_cfg = dict(prompt_cfg or {})
        if prompt_cfg.get('drop_path_rate') is None:
            prompt_cfg['drop_path_rate'] = drop_path_rate
        # Built after freezing: everything under `prompt_adapter` stays trainable.
        self.prompt_adapter = PromptAdapter(stage_dims, **prompt_cfg)

    def stock_children(self):
        """``(name, module)`` of every top-level child except the adapter (and any
        other of ``TRAINABLE_CHILDREN``)."""
        return [(n, m) for n, m in self.named_children()
                if n not in self.TRAINABLE_CHILDREN]

    def train(self, mode=True):
        """Train mode for the adapter. The frozen stock modules keep train-mode
        behaviour (stochastic depth, dropout) only when ``frozen_drop_path`` is set;
        otherwise they stay in eval mode however often ``train()`` is called."""
        super().train(mode)
        if mode and self.freeze_backbone and not self.frozen_drop_path:
            for _, module in self.stock_children():
                module.eval()
        return self

    def init_weights(self):
        # The stock init (or pretrained load) walks all of self.modules() and would
        # re-initialise the adapter's Linear layers with it, so re-init it afterwards.
        super().init_weights()
        if self.prompt_adapter is not None:
            self.prompt_adapter.init_weights()

    def forward(self, x):
        """Returns the stock list of normalised stage outputs (NCHW)."""
        return self._forward(x, collect_injected=False)[0]

    def forward_with_injected(self, x):
        """Returns ``(outs, injected)``: the stock outputs and, per stage, the stage
        tokens right after injection, before the frozen stage runs (NCHW); without
        an adapter ``injected`` is empty."""
        return self._forward(x, collect_injected=True)

    def _forward(self, img, collect_injected):
        adapter = self.prompt_adapter
        if adapter is not None:
            prompts, prompt_shapes = adapter.generate(img)
        outs, injected = [], []
        carry = img
        num_stages = self.num_run_stages
        for i in range(num_stages):
            # a third item, if any, goes to _run_stage as it is (ViT: the class and
            # register tokens, which the prompts do not touch)
            tokens, hw_shape, *passed_on = self._stage_tokens(i, carry)
            if adapter is not None:
                tokens, handover = adapter.interact(
                    i, tokens, hw_shape, prompts, prompt_shapes)
                if collect_injected:
                    injected.append(nlc_to_nchw(tokens, hw_shape))
            carry, out = self._run_stage(i, tokens, hw_shape, *passed_on)
            if i in self.out_indices:
                outs.append(out)
            if adapter is not None and i < num_stages - 1:
                prompts, prompt_shapes = adapter.hand_over(i, handover, prompt_shapes)
        return outs, injected

    def _run_block(self, block, x, *args):
        """``block(x, *args)`` (Swin and MiT pass the grid shape, ViT nothing),
        recomputed in backward with ``with_cp``."""
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(block, x, *args, use_reentrant=False)
        return block(x, *args)

    def _stage_tokens(self, i, carry):
        """Tokens ``[B, H·W, C_i]`` and ``(H, W)`` entering stage i's blocks, and
        optionally more items that the prompts do not touch, handed to
        ``_run_stage`` after the shape."""
        raise NotImplementedError

    def _run_stage(self, i, tokens, hw_shape, *passed_on):
        """Runs frozen stage i; returns ``(carry for stage i+1, normalised NCHW out)``."""
        raise NotImplementedError
