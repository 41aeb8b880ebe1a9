"""SegFormer's Mix Vision Transformer with the Uni-UVPT prompt adapter."""
from mmseg.models.backbones.mit import MixVisionTransformer
from mmseg.models.builder import BACKBONES
from mmseg.models.utils import nlc_to_nchw

from .prompted import PromptedBackboneMixin, stock_argument


@BACKBONES.register_module()
class MiTPrompt(PromptedBackboneMixin, MixVisionTransformer):
    """mmseg's ``MixVisionTransformer`` (stock parameter names) with a prompt adapter.

    Each MiT stage starts with its own overlapping patch embedding, which sets the
    stage's width and grid. The prompts are injected into the tokens right after that
    patch embedding, before the stage's blocks; blocks and the stage norm then run as
    in mmseg. (Injecting before the patch embedding is not possible: there the tokens
    have the previous stage's width, or are the image for stage 1.)

    Args:
        prompt_cfg (dict, optional): ``PromptAdapter`` arguments (see ``SwinPrompt``).
        freeze_backbone (bool): ``requires_grad_(False)`` on every stock parameter.
        frozen_drop_path (bool): Frozen stock modules follow ``train()`` (stochastic
            depth and dropout active in training). When False they stay in eval mode.
        fused_attention (bool): Efficient attention through
            ``F.scaled_dot_product_attention`` (same parameters, same result).
        with_cp (bool): Gradient checkpointing of every stock block (non-reentrant).
        with_prompt_adapter (bool): False builds no adapter (``prompt_cfg`` must be
            None): the stock forward, for the ablations and baselines of
            docs/variants.md. Default: True.
        **kwargs: ``MixVisionTransformer`` arguments (``embed_dims``, ``num_layers``,
            ``num_heads``, ``sr_ratios``, ``drop_path_rate``, ``init_cfg``, ...).
    """

    def __init__(self, prompt_cfg=None, freeze_backbone=True, frozen_drop_path=True,
                 fused_attention=True, with_cp=False, with_prompt_adapter=True,
                 **kwargs):
        super().__init__(with_cp=False, **kwargs)
        stage_dims = [self.embed_dims * heads for heads in self.num_heads]
        drop_path_rate = stock_argument(MixVisionTransformer, kwargs, 'drop_path_rate')
        self._setup_prompting(stage_dims, freeze_backbone, frozen_drop_path,
                              fused_attention, with_cp, prompt_cfg, drop_path_rate,
                              with_prompt_adapter)

    def _stage_tokens(self, i, carry):
        return self.layers[i][0](carry)  # patch embed: NCHW → tokens, (H, W)

    def _run_stage(self, i, tokens, hw_shape):
        _, blocks, norm = self.layers[i]
        x = tokens
        for block in blocks:
            x = self._run_block(block, x, hw_shape)
        out = nlc_to_nchw(norm(x), hw_shape)
        return out, out
