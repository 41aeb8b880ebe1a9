"""GtA self-training loss on the 1× prediction (docs/method.md §4).

Lovász-softmax against the (corrected) pseudo-label over the classes present, plus a
sharpening term ``entropy_weight · mean((H / ln C)^4)`` with H the per-pixel entropy
of the softmax. The Lovász part is mmseg's ``LovaszLoss``.
"""
import math

import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.builder import LOSSES
from mmseg.models.losses import LovaszLoss


def normalized_entropy_power(logits, power=4):
    """mean over pixels of (H / ln C)^power, H the entropy of softmax(logits, dim=1)."""
    log_p = F.log_softmax(logits, dim=1)
    entropy = -(log_p.exp() * log_p).sum(dim=1)
    return ((entropy / math.log(logits.shape[1])) ** power).mean()


@LOSSES.register_module()
class SelfTrainingLoss(nn.Module):
    """Lovász-softmax (classes present, ignore label ignored) + entropy sharpening.

    Args:
        entropy_weight (float): weight of mean((H / ln C)^4). Default: 0.005.
        loss_weight (float): weight of the Lovász term. Default: 1.0.
        ignore_index (int): label value left out of the Lovász term. Default: 255.

    ``forward(logits, label)`` takes fp32 logits [B, C, H, W] at the label size and
    the label [B, H, W]; returns ``dict(loss_lovasz=..., loss_entropy=...)``.
    """

    def __init__(self, entropy_weight=0.005, loss_weight=1.0, ignore_index=255):
        super().__init__()
        self.lovasz = LovaszLoss(loss_type='multi_class', classes='present',
                                 per_image=False, reduction='none',
                                 loss_weight=loss_weight)
        self.entropy_weight = entropy_weight
        self.ignore_index = ignore_index

    def forward(self, logits, label, ignore_index=None):
        """``ignore_index`` overrides the constructor's (the segmentor passes the
        decode head's, as mmseg's heads do with their losses)."""
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        if (label != ignore_index).any():
            lovasz = self.lovasz(logits, label, ignore_index=ignore_index)
        else:
            # mmseg returns an empty tensor when every pixel is ignored; keep a
            # differentiable zero scalar instead
            lovasz = logits.sum() * 0.
        entropy = self.entropy_weight * normalized_entropy_power(logits)
        return dict(loss_lovasz=lovasz, loss_entropy=entropy)
