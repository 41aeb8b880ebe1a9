"""The Uni-UVPT adaptation segmentor (docs/method.md §4).

Training runs the whole prompted model on the image at several scales (1×, 0.5×, 2×
by default), and combines the GtA self-training loss on the 1× prediction, the masked
prediction consistency between the scales and the per-stage prompt consistency. The
scale-mixing logits are parameters of this module. ``train_step`` also returns, per
pixel, the mixture's argmax and max probability for the adaptive label correction.
Testing is mmseg's plain single-scale whole/slide inference.
"""
import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.core import add_prefix
from mmseg.models import builder
from mmseg.models.builder import SEGMENTORS
from mmseg.models.losses import accuracy
from mmseg.models.segmentors import EncoderDecoder

from ..backbones.peft import set_backbone_tuning
from ..losses import mix_probabilities

_AMP_DTYPES = {None: None, 'bfloat16': torch.bfloat16}
#: the reference release's consistency losses (docs/method.md §4)
DEFAULT_PRED_CONSISTENCY = dict(type='PredictionConsistencyLoss', conf_threshold=0.8,
                                loss_weight=1.0, average_over='all')
DEFAULT_PROMPT_CONSISTENCY = dict(type='PromptConsistencyLoss', loss_weight=0.001,
                                  clamp=True)


def _num_backbone_stages(backbone):
    """Stages of a stock mmseg Swin (``stages``) or MiT (``num_stages``) backbone."""
    if hasattr(backbone, 'num_stages'):
        return backbone.num_stages
    if hasattr(backbone, 'stages'):
        return len(backbone.stages)
    raise TypeError(f'UVPTSegmentor: cannot tell the number of stages of '
                    f'{type(backbone).__name__}; pass num_prompt_stages')


@SEGMENTORS.register_module()
class UVPTSegmentor(EncoderDecoder):
    """Multi-scale prompt-tuning segmentor.

    Args:
        backbone (dict): a prompted backbone with ``forward_with_injected(x)``
            returning ``(outs, injected)`` (e.g. SwinPrompt, MiTPrompt); any mmseg
            backbone when ``loss_prompt_consistency`` is None.
        decode_head (dict): e.g. DAFormerHead. Its ``loss_decode`` is the self-training
            loss on the 1x logits and the (pseudo-)label, called as
            ``loss(logits, label, ignore_index=...)``; it returns a loss tensor or a
            dict of them (the paper's ``SelfTrainingLoss``: Lovász-softmax and
            entropy). mmseg's own losses (e.g. ``CrossEntropyLoss``) fit too; a list
            of losses adds them all, as mmseg's decode heads do.
        loss_pred_consistency (dict | None): the loss across the scales' predictions,
            called as ``loss(logits_per_scale, label, pred_mix_logits)``; its
            ``ignore_index`` defaults to the head's. Default:
            ``PredictionConsistencyLoss`` with ``conf_threshold=0.8``,
            ``loss_weight=1.0``, ``average_over='all'`` (the release). None: off
            (the ablation of docs/variants.md): no such loss, and
            ``pred_mix_logits`` is a buffer of zeros (equal weights), which the
            correction's mixture still uses.
        loss_prompt_consistency (dict | None): the per-stage loss across the scales'
            injected features, called as ``loss(injected_per_scale,
            prompt_mix_logits)``; its ``align_corners`` defaults to
            ``train_align_corners``. Default: ``PromptConsistencyLoss`` with
            ``loss_weight=0.001`` and the release's ``clamp=True``. None: off, no
            ``prompt_mix_logits``, and the backbone may be any (a stock one, or a
            prompted one without adapter).
        scales (Sequence[float]): input scales of the passes; the first must be 1.0.
            A single scale (1.0,) needs both consistency losses off (they compare
            the passes). Default: (1.0, 0.5, 2.0).
        train_align_corners (bool): ``align_corners`` of the bilinear resizes of the
            training passes (image rescaling, logits to the label size, injected
            features to the 1× size); True as in the reference release. Inference
            uses the decode head's ``align_corners``. Default: True.
        amp_dtype (str | None): 'bfloat16' runs the forward passes under autocast (GPU
            or CPU); losses, softmaxes and correction statistics stay fp32.
        num_prompt_stages (int | None): number of injected maps; taken from the
            backbone when None.
        backbone_tuning (str | None): which stock backbone parameters train
            (``models/backbones/peft.py``): None leaves them as the backbone set
            them (the paper: ``freeze_backbone=True``), else one of 'frozen',
            'bitfit', 'lora', 'full' (the baselines of docs/variants.md).
        lora_cfg (dict | None): ``dict(rank, alpha)`` with ``backbone_tuning='lora'``.
        neck, train_cfg, test_cfg, pretrained, init_cfg: as :class:`EncoderDecoder`.
    """

    def __init__(self,
                 backbone,
                 decode_head,
                 loss_pred_consistency=DEFAULT_PRED_CONSISTENCY,
                 loss_prompt_consistency=DEFAULT_PROMPT_CONSISTENCY,
                 scales=(1.0, 0.5, 2.0),
                 train_align_corners=True,
                 amp_dtype=None,
                 num_prompt_stages=None,
                 backbone_tuning=None,
                 lora_cfg=None,
                 neck=None,
                 auxiliary_head=None,
                 train_cfg=None,
                 test_cfg=None,
                 pretrained=None,
                 init_cfg=None):
        if auxiliary_head is not None:
            raise ValueError('UVPTSegmentor: auxiliary heads are not supported')
        if not scales or scales[0] != 1.0:
            raise ValueError(f'UVPTSegmentor: scales must start with 1.0, got {scales}')
        if len(scales) == 1 and (loss_pred_consistency is not None
                                 or loss_prompt_consistency is not None):
            raise ValueError('UVPTSegmentor: with a single scale there is nothing to '
                             'compare; set loss_pred_consistency=None and '
                             'loss_prompt_consistency=None')
        if amp_dtype not in _AMP_DTYPES:
            raise ValueError(f'UVPTSegmentor: amp_dtype must be one of '
                             f'{list(_AMP_DTYPES)}, got {amp_dtype!r}')
        super().__init__(backbone, decode_head, neck=neck, train_cfg=train_cfg,
                         test_cfg=test_cfg, pretrained=pretrained, init_cfg=init_cfg)
        if loss_prompt_consistency is not None and not hasattr(self.backbone,
                                                               'forward_with_injected'):
            raise TypeError(f'UVPTSegmentor: backbone {type(self.backbone).__name__} '
                            'has no forward_with_injected(); use a prompted backbone')
        if self.num_classes > 255:
            raise ValueError('UVPTSegmentor: correction maps are uint8, so at most '
                             f'255 classes; got {self.num_classes}')
        self.scales = tuple(float(s) for s in scales)
        self.train_align_corners = train_align_corners
        self.amp_dtype = _AMP_DTYPES[amp_dtype]
        # Equal logits = equal initial weights. Real parameters (the reference kept the
        # prompt ones in a Python list). Note: equal weights are a stationary point of
        # both consistency losses (the mean minimises Σ KL(p_k‖m) and Σ‖f_k − m‖²), so
        # from this init they only move through the clamps.
        self.pred_consistency_loss = None
        if loss_pred_consistency is None:
            # nothing trains them: a buffer, so that no frozen parameter is left that
            # a source checkpoint lacks; the correction's mixture still reads it
            self.register_buffer('pred_mix_logits', torch.zeros(len(self.scales)))
        else:
            pred_cfg = dict(loss_pred_consistency)
            pred_cfg.setdefault('ignore_index', self.decode_head.ignore_index)
            self.pred_consistency_loss = builder.build_loss(pred_cfg)
            self.pred_mix_logits = nn.Parameter(torch.zeros(len(self.scales)))
        self.prompt_consistency_loss = None
        self.prompt_mix_logits = None
        if loss_prompt_consistency is not None:
            if num_prompt_stages is None:
                num_prompt_stages = _num_backbone_stages(self.backbone)
            prompt_cfg = dict(loss_prompt_consistency)
            prompt_cfg.setdefault('align_corners', train_align_corners)
            self.prompt_consistency_loss = builder.build_loss(prompt_cfg)
            self.prompt_mix_logits = nn.Parameter(
                torch.zeros(num_prompt_stages, len(self.scales)))
        self.backbone_tuning = backbone_tuning
        if backbone_tuning is not None:
            set_backbone_tuning(self.backbone, backbone_tuning, lora_cfg)
        elif lora_cfg is not None:
            raise ValueError("UVPTSegmentor: lora_cfg needs backbone_tuning='lora'")

    def _autocast(self, device):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=self.amp_dtype)

    def encode_decode(self, img, img_metas):
        """mmseg's single-scale inference, under autocast when ``amp_dtype`` is set."""
        with self._autocast(img.device):
            out = super().encode_decode(img, img_metas)
        return out.float()

    def _forward_scale(self, img, scale, label_size):
        """One pass of the whole prompted model: fp32 logits at the label size and
        the injected features (None with the prompt consistency off)."""
        # F.interpolate, not mmseg's resize, which warns on every align_corners=True call
        if scale != 1.0:
            img = F.interpolate(img, scale_factor=scale, mode='bilinear',
                                align_corners=self.train_align_corners)
        with self._autocast(img.device):
            if self.prompt_consistency_loss is None:
                feats, injected = self.backbone(img), None
            else:
                feats, injected = self.backbone.forward_with_injected(img)
            if self.with_neck:
                feats = self.neck(feats)
            head_logits = self.decode_head(feats)
        logits = F.interpolate(head_logits.float(), size=label_size, mode='bilinear',
                               align_corners=self.train_align_corners)
        return logits, injected, head_logits

    def forward_train(self, img, img_metas, gt_semantic_seg, return_correction=False):
        """Losses of one multi-scale step.

        Args:
            img (Tensor): [B, 3, H, W] images.
            img_metas (list[dict]): image metas.
            gt_semantic_seg (Tensor): [B, 1, h, w] (pseudo-)labels.
            return_correction (bool): also return the correction statistics.

        Returns:
            dict[str, Tensor] of losses, or ``(losses, correction)``.
        """
        label = gt_semantic_seg.squeeze(1)
        passes = [self._forward_scale(img, s, label.shape[1:]) for s in self.scales]
        logits = [p[0] for p in passes]
        losses = self.self_training_losses(logits[0], label)
        if self.pred_consistency_loss is not None:
            losses['loss_pred_consistency'] = self.pred_consistency_loss(
                logits, label, self.pred_mix_logits)
        if self.prompt_consistency_loss is not None:
            injected = [p[1] for p in passes]
            if any(len(inj) != self.prompt_mix_logits.shape[0] for inj in injected):
                raise ValueError(f'UVPTSegmentor: backbone gave {len(injected[0])} '
                                 'injected maps, expected '
                                 f'{self.prompt_mix_logits.shape[0]}')
            losses['loss_prompt_consistency'] = self.prompt_consistency_loss(
                injected, self.prompt_mix_logits)
        losses.update(add_prefix(
            dict(acc_seg=accuracy(logits[0].detach(), label,
                                  ignore_index=self.decode_head.ignore_index)),
            'decode'))
        if not return_correction:
            return losses
        return losses, self._correction([p[2] for p in passes], label, img_metas)

    def self_training_losses(self, logits, label):
        """The decode head's ``loss_decode`` on the 1x logits, as a dict of losses."""
        losses = {}
        loss_fns = self.decode_head.loss_decode
        if not isinstance(loss_fns, nn.ModuleList):
            loss_fns = [loss_fns]
        for loss_fn in loss_fns:
            out = loss_fn(logits, label, ignore_index=self.decode_head.ignore_index)
            if not isinstance(out, dict):
                out = {loss_fn.loss_name: out}
            for name, value in out.items():
                losses[name] = losses[name] + value if name in losses else value
        return losses

    @torch.no_grad()
    def _correction(self, logits, label, img_metas):
        """Mixture argmax and max probability, and the label, detached on the CPU.

        ``logits`` are the heads' outputs, resized here with ``align_corners=False``
        as the release resizes the logits of its stored prediction."""
        mixture = mix_probabilities([
            F.interpolate(x.float(), size=label.shape[-2:], mode='bilinear',
                          align_corners=False).softmax(dim=1) for x in logits
        ], self.pred_mix_logits)
        prob, pred = mixture.max(dim=1)
        return dict(pred=pred.to(torch.uint8).cpu(),
                    prob=prob.float().cpu(),
                    label=label.to(torch.uint8).cpu(),
                    img_metas=list(img_metas))

    def train_step(self, data_batch, optimizer, **kwargs):
        """mmseg's train step plus ``correction`` (docs/architecture.md, "One adaptation
        iteration")."""
        losses, correction = self(**data_batch, return_correction=True)
        loss, log_vars = self._parse_losses(losses)
        return dict(loss=loss, log_vars=log_vars,
                    num_samples=len(data_batch['img_metas']), correction=correction)
