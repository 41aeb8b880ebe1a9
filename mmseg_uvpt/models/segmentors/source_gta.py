"""Source-GtA pretraining (after Generalize-then-Adapt, Kundu et al., ICCV 2021).

One backbone and six decode heads. Each training iteration draws one augmentation
group; the batch is augmented with it, and every head except the one tied to that
group trains on the augmented batch with class-weighted cross-entropy. The global
head (``decode_head``) always trains and is the only head used at test time, so a
checkpoint's ``backbone.*`` and ``decode_head.*`` keys are exactly those of a
standard source model (the ``aug_heads.*`` keys are extra).
"""
import copy
import json
import math
import os

import torch
from mmcv.runner import ModuleList
from mmseg.core import add_prefix
from mmseg.models import builder
from mmseg.models.builder import SEGMENTORS
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import get_root_logger

from mmseg_uvpt.augmentations import AugmentationGroups, from_rgb_pixels, to_rgb_pixels

# ENet's inverse-log weighting constant: weights lie in (1/ln(1.02 + 1), 1/ln(1.02)]
INVERSE_LOG_C = 1.02


def class_weight_from_stats(stats_file, num_classes):
    """Class weights from a converter's class-statistics JSON.

    The weight of class c is ``1 / ln(1.02 + p_c)`` (ENet's bounded inverse-log
    frequency, ``p_c`` the class's share of labelled pixels): rare classes get up to
    ~50x the weight of a class covering everything, without the blow-up of plain
    inverse frequency. The weights are then scaled so that their pixel-frequency
    average is 1, which keeps the loss scale (and so the learning rate) of
    unweighted cross-entropy.

    Args:
        stats_file (str): ``sample_class_stats.json`` written by
            ``tools/convert_datasets``: ``{"stats": [{"file": ..., "<class>": pixels,
            ...}, ...], ...}`` or DAFormer's bare list of such entries.
        num_classes (int): number of classes.

    Returns:
        list[float]: ``num_classes`` weights.
    """
    if not os.path.isfile(stats_file):
        raise FileNotFoundError(f'class statistics file {stats_file} is missing: run '
                                'tools/convert_datasets/ on the source dataset first')
    with open(stats_file) as f:
        content = json.load(f)
    entries = content.get('stats') if isinstance(content, dict) else content
    if not isinstance(entries, list):
        raise ValueError(f'{stats_file}: expected a "stats" list of per-image counts')
    counts = [0.0] * num_classes
    for entry in entries:
        for key, value in entry.items():
            if key.isdigit() and int(key) < num_classes:
                counts[int(key)] += float(value)
    total = sum(counts)
    if total <= 0:
        raise ValueError(f'{stats_file}: no labelled pixels of classes 0..{num_classes - 1}')
    freqs = [c / total for c in counts]
    weights = [1.0 / math.log(INVERSE_LOG_C + p) for p in freqs]
    mean = sum(p * w for p, w in zip(freqs, weights))
    return [w / mean for w in weights]


def with_class_weight(head_cfg, class_weight):
    """Copy of a decode-head config whose cross-entropy losses use ``class_weight``."""
    head_cfg = copy.deepcopy(head_cfg)
    losses = head_cfg.get('loss_decode', dict(type='CrossEntropyLoss'))
    for loss in (losses if isinstance(losses, (list, tuple)) else [losses]):
        if loss['type'] == 'CrossEntropyLoss':
            loss['class_weight'] = list(class_weight)
    head_cfg['loss_decode'] = losses
    return head_cfg


def _has_class_weight(head_cfg):
    losses = head_cfg.get('loss_decode', {})
    return any(loss.get('class_weight') is not None
               for loss in (losses if isinstance(losses, (list, tuple)) else [losses]))


@SEGMENTORS.register_module()
class SourceGtASegmentor(EncoderDecoder):
    """EncoderDecoder with one decode head per augmentation group plus a global head.

    Args:
        backbone (dict): backbone config (stock mmseg Swin / MiT).
        decode_head (dict): the global head (kept at test time).
        aug_groups (list[dict]): ``dict(name, prob, augs)`` per group, see
            :class:`mmseg_uvpt.augmentations.AugmentationGroups`; one extra head
            (``aug_heads[i]``) per group.
        aug_head (dict, optional): config of the group heads; default: ``decode_head``.
        aug_model_dir (str): folder of the augmentation networks' weight files.
        train_cfg (dict, optional): mmseg's train_cfg, plus the class weights that
            replace those of every head's cross-entropy: ``class_weight_file``, path
            to the source dataset's ``sample_class_stats.json`` (weights from
            :func:`class_weight_from_stats`), else ``class_weight``, a list (the
            paper configs: the release's fixed list). Without either the heads' own
            ``loss_decode.class_weight`` is used; training needs one of the three.
            Training resources (augmentation networks, the statistics file) are only
            loaded when ``train_cfg`` is not None: mmseg's test script builds the
            model with ``train_cfg=None``, and inference needs none of them.
        neck, auxiliary_head, test_cfg, pretrained, init_cfg: as in EncoderDecoder.
    """

    def __init__(self, backbone, decode_head, aug_groups, aug_head=None,
                 aug_model_dir='model', neck=None, auxiliary_head=None, train_cfg=None,
                 test_cfg=None, pretrained=None, init_cfg=None):
        training = train_cfg is not None
        # The weights live in train_cfg, not in the head config, so that the global
        # head's config stays that of a standard source model (the pseudo-label and
        # test configs build it). class_weight_file computes them from the
        # converter's statistics, following whichever source set was converted.
        class_weight = None
        if training and train_cfg.get('class_weight_file'):
            class_weight = class_weight_from_stats(train_cfg['class_weight_file'],
                                                   decode_head['num_classes'])
        elif training and train_cfg.get('class_weight') is not None:
            class_weight = [float(w) for w in train_cfg['class_weight']]
            if len(class_weight) != decode_head['num_classes']:
                raise ValueError(f'train_cfg.class_weight has {len(class_weight)} weights '
                                 f'for {decode_head["num_classes"]} classes')
        elif training and not _has_class_weight(decode_head):
            raise ValueError('Source-GtA trains with class-weighted cross-entropy: set '
                             'train_cfg.class_weight_file (the source dataset\'s '
                             'sample_class_stats.json), train_cfg.class_weight or '
                             'decode_head.loss_decode.class_weight')
        if class_weight is not None:
            decode_head = with_class_weight(decode_head, class_weight)
        super().__init__(backbone, decode_head, neck=neck, auxiliary_head=auxiliary_head,
                         train_cfg=train_cfg, test_cfg=test_cfg, pretrained=pretrained,
                         init_cfg=init_cfg)
        self.aug_groups = AugmentationGroups(aug_groups, aug_model_dir, build_augs=training)
        head_cfg = decode_head if aug_head is None else aug_head
        if class_weight is not None:
            head_cfg = with_class_weight(head_cfg, class_weight)
        elif training and not _has_class_weight(head_cfg):
            raise ValueError('aug_head needs loss_decode.class_weight like decode_head')
        # mmcv's ModuleList, not torch's: init_weights() must reach the heads' init_cfg
        self.aug_heads = ModuleList(
            [builder.build_head(copy.deepcopy(head_cfg)) for _ in range(len(self.aug_groups))])
        if training:
            logger = get_root_logger()
            if class_weight is not None:
                source = train_cfg.get('class_weight_file') or 'train_cfg.class_weight'
                logger.info(f'Source-GtA class weights ({source}): '
                            f'{[round(w, 4) for w in class_weight]}')
            logger.info(f'Source-GtA {self.aug_groups!r}')

    def augment(self, img, img_metas, group):
        """Augment a normalised batch with group ``group``; returns the normalised result."""
        with torch.no_grad():
            pixels, _ = self.aug_groups.apply(group, to_rgb_pixels(img, img_metas))
            return from_rgb_pixels(pixels, img_metas)

    def forward_train(self, img, img_metas, gt_semantic_seg):
        """Draw a group, augment, and train every head but the drawn group's.

        Returns:
            dict[str, Tensor]: ``decode.*`` (global head), ``aug_<group>.*`` per
            group head (zeros without gradient for the drawn group's head, so every
            iteration logs the same keys, which distributed log reduction requires),
            ``aux.*`` if configured, and ``drawn.<group>`` (1 for the drawn group,
            else 0; the log average is the draw frequency).
        """
        group = self.aug_groups.draw()
        img = self.augment(img, img_metas, group)
        x = self.extract_feat(img)
        global_losses = self.decode_head.forward_train(x, img_metas, gt_semantic_seg,
                                                       self.train_cfg)
        losses = add_prefix(global_losses, 'decode')
        for index, (name, head) in enumerate(zip(self.aug_groups.names, self.aug_heads)):
            if index == group:  # held out: it never sees its own augmentation
                head_losses = {k: torch.zeros_like(v.detach()) for k, v in global_losses.items()}
            else:
                head_losses = head.forward_train(x, img_metas, gt_semantic_seg, self.train_cfg)
            losses.update(add_prefix(head_losses, f'aug_{name}'))
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, img_metas, gt_semantic_seg))
        for index, name in enumerate(self.aug_groups.names):
            losses[f'drawn.{name}'] = torch.tensor(float(index == group), device=img.device)
        return losses
