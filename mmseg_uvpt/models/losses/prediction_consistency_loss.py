"""Masked multi-scale prediction consistency (docs/method.md §4).

The softmaxes p_k of the passes at the K scales are mixed, m = Σ_k w_k p_k with
w = softmax(mix_logits); the loss is Σ_k KL(p_k ‖ m) summed over the pixels where
the mixture is confident (max_c m ≥ threshold, per image and pixel) and the label is
not ignored, divided by the number of all pixels of the batch (as the reference
release does, so the loss shrinks with the share of confident pixels) or by the
number of those pixels (``average_over='confident'``). The mixture logits are
parameters of the segmentor and are passed in.
"""
import torch
import torch.nn as nn
from mmseg.models.builder import LOSSES

#: divisors of the masked KL sum (see ``PredictionConsistencyLoss``)
AVERAGE_OVER = ('all', 'confident')


def mix_probabilities(probs, mix_logits):
    """Σ_k softmax(mix_logits)_k · probs[k] for a list of K [B, C, H, W] tensors."""
    weights = mix_logits.float().softmax(dim=0)
    return sum(w * p for w, p in zip(weights, probs))


@LOSSES.register_module()
class PredictionConsistencyLoss(nn.Module):
    """Σ_k KL(p_k ‖ m) over confident, labelled pixels.

    Args:
        conf_threshold (float): a pixel counts when max_c m ≥ this. Default: 0.8.
        eps (float): m is clamped to [eps, 1 - eps] before the KL. Default: 1e-3.
        loss_weight (float): Default: 1.0.
        ignore_index (int): label value whose pixels never count. Default: 255.
        average_over (str): the divisor of the masked sum: ``'all'`` pixels of the
            batch (the reference release's ``torch.mean``) or the ``'confident'``
            labelled ones. Default: 'all'.

    ``forward(logits, label, mix_logits)``: ``logits`` a list of K fp32 logit maps
    [B, C, H, W] at the label size, ``label`` [B, H, W], ``mix_logits`` [K]. Returns 0
    (still attached to the graph) when no pixel qualifies.
    """

    def __init__(self, conf_threshold=0.8, eps=1e-3, loss_weight=1.0,
                 ignore_index=255, average_over='all'):
        super().__init__()
        if average_over not in AVERAGE_OVER:
            raise ValueError(f'PredictionConsistencyLoss: average_over must be one of '
                             f'{AVERAGE_OVER}, got {average_over!r}')
        self.average_over = average_over
        self.conf_threshold = conf_threshold
        self.eps = eps
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, logits, label, mix_logits):
        if len(logits) != mix_logits.numel():
            raise ValueError(f'PredictionConsistencyLoss: {len(logits)} predictions '
                             f'but {mix_logits.numel()} mixture logits')
        # log p from log_softmax stays finite where p underflows to 0, so neither the
        # value nor the gradient of p·log p becomes NaN
        log_probs = [x.log_softmax(dim=1) for x in logits]
        probs = [lp.exp() for lp in log_probs]
        mixture = mix_probabilities(probs, mix_logits).clamp(self.eps, 1 - self.eps)
        log_mixture = mixture.log()
        kl = sum((p * (lp - log_mixture)).sum(dim=1)
                 for p, lp in zip(probs, log_probs))
        with torch.no_grad():
            mask = (mixture.max(dim=1).values >= self.conf_threshold) & \
                   (label != self.ignore_index)
        count = mask.numel() if self.average_over == 'all' else mask.sum().clamp(min=1)
        loss = (kl * mask).sum() / count
        return self.loss_weight * loss
