"""Swin Transformer with the Uni-UVPT prompt adapter."""
from mmseg.models.backbones.swin import SwinTransformer
from mmseg.models.builder import BACKBONES

from .prompted import PromptedBackboneMixin, stock_argument


@BACKBONES.register_module()
class SwinPrompt(PromptedBackboneMixin, SwinTransformer):
    """mmseg's ``SwinTransformer`` (stock parameter names) with a prompt adapter
    injecting into the tokens before each stage's blocks; the stage's patch merging
    follows its blocks as in mmseg.

    Args:
        prompt_cfg (dict, optional): ``PromptAdapter`` arguments (``num_heads``,
            ``n_points``, ``deform_ratio``, ``cffn_ratio``, ``inplanes``, ``norm_cfg``,
            ``init_gamma``, ``prompt_handover``, ``with_cp``, ``attn_impl``,
            ``level_embed``, ``drop_path_rate``: None takes this backbone's).
        freeze_backbone (bool): ``requires_grad_(False)`` on every stock parameter.
        frozen_drop_path (bool): Frozen stock modules follow ``train()`` (stochastic
            depth and dropout active in training). When False they stay in eval mode.
        fused_attention (bool): Window attention through
            ``F.scaled_dot_product_attention`` (same parameters, same result).
        with_cp (bool): Gradient checkpointing of every stock block (non-reentrant).
        with_prompt_adapter (bool): False builds no adapter (``prompt_cfg`` must be
            None): the stock forward, for the ablations and baselines of
            docs/variants.md. Default: True.
        **kwargs: ``SwinTransformer`` arguments (``embed_dims``, ``depths``,
            ``num_heads``, ``window_size``, ``drop_path_rate``, ``init_cfg``, ...).
    """

    def __init__(self, prompt_cfg=None, freeze_backbone=True, frozen_drop_path=True,
                 fused_attention=True, with_cp=False, with_prompt_adapter=True,
                 **kwargs):
        super().__init__(with_cp=False, **kwargs)
        drop_path_rate = stock_argument(SwinTransformer, kwargs, 'drop_path_rate')
        self._setup_prompting(self.num_features, freeze_backbone, frozen_drop_path,
                              fused_attention, with_cp, prompt_cfg, drop_path_rate,
                              with_prompt_adapter)

    def _stage_tokens(self, i, carry):
        if i > 0:
            return carry  # the previous stage's merged tokens and grid
        x, hw_shape = self.patch_embed(carry)
        if self.use_abs_pos_embed:
            x = x + self.absolute_pos_embed
        return self.drop_after_pos(x), hw_shape

    def _run_stage(self, i, tokens, hw_shape):
        stage = self.stages[i]
        x = tokens
        for block in stage.blocks:
            x = self._run_block(block, x, hw_shape)
        carry = stage.downsample(x, hw_shape) if stage.downsample else None
        out = None
        if i in self.out_indices:
            out = getattr(self, f'norm{i}')(x)
            out = out.view(-1, *hw_shape, self.num_features[i]).permute(0, 3, 1, 2).contiguous()
        return carry, out
