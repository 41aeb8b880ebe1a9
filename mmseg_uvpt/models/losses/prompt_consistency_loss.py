"""Per-stage prompt consistency across scales (docs/method.md §4).

For each stage the injected features of the other passes are resized (bilinear) to
the first (1×) pass's size, optionally clamped to [eps, 1 - eps] as the reference
release does, and mixed with weights softmax(mix_logits[stage]); the stage's loss is
the mean over passes of the MSE to the mixture. The total is ``loss_weight`` times the
sum over stages.
"""
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.builder import LOSSES


@LOSSES.register_module()
class PromptConsistencyLoss(nn.Module):
    """Mean MSE of each pass's injected features to their learnt mixture, per stage.

    Args:
        loss_weight (float): weight of each stage's term. Default: 0.001.
        clamp (bool): clamp features to [eps, 1 - eps] first (the reference release;
            it zeroes the gradient of most values). Default: True.
        eps (float): Default: 1e-3.
        align_corners (bool): for the bilinear resize. Default: False.

    ``forward(injected, mix_logits)``: ``injected[k][i]`` the NCHW features of pass k
    right after injection before stage i (pass 0 is the 1× pass), ``mix_logits``
    [num_stages, K].
    """

    def __init__(self, loss_weight=0.001, clamp=True, eps=1e-3, align_corners=False):
        super().__init__()
        self.loss_weight = loss_weight
        self.clamp = clamp
        self.eps = eps
        self.align_corners = align_corners

    def forward(self, injected, mix_logits):
        num_passes, num_stages = len(injected), len(injected[0])
        if tuple(mix_logits.shape) != (num_stages, num_passes):
            raise ValueError(
                f'PromptConsistencyLoss: mixture logits of shape '
                f'{tuple(mix_logits.shape)} for {num_stages} stages × {num_passes} '
                'passes')
        total = 0.
        for stage, weights in enumerate(mix_logits.float().softmax(dim=1)):
            size = injected[0][stage].shape[2:]
            feats = []
            for per_pass in injected:
                f = per_pass[stage].float()
                if f.shape[2:] != size:
                    f = F.interpolate(f, size=size, mode='bilinear',
                                      align_corners=self.align_corners)
                feats.append(f.clamp(self.eps, 1 - self.eps) if self.clamp else f)
            mixture = sum(w * f for w, f in zip(weights, feats))
            total = total + sum(F.mse_loss(f, mixture) for f in feats) / num_passes
        return self.loss_weight * total
