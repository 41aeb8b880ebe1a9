"""Cityscapes with the class-subset means used for SYNTHIA->Cityscapes."""
from collections import OrderedDict

import mmcv
import numpy as np
from mmcv.utils import print_log
from prettytable import PrettyTable

from mmseg.core import pre_eval_to_metrics
from mmseg.datasets import CityscapesDataset
from mmseg.datasets.builder import DATASETS
from mmseg.utils import get_root_logger
from .label_ids import SYNTHIA_EVAL_SUBSETS
from .validation import CheckedDatasetMixin

EVAL_SUBSET_PRESETS = dict(synthia=SYNTHIA_EVAL_SUBSETS)


def resolve_eval_subsets(eval_subsets, class_names):
    """Map ``{metric name: class names}`` (or a preset name) to class indices.

    Raises:
        ValueError: unknown preset or a class name not in ``class_names``.
    """
    if eval_subsets is None:
        return OrderedDict()
    if isinstance(eval_subsets, str):
        if eval_subsets not in EVAL_SUBSET_PRESETS:
            raise ValueError(
                f'unknown eval_subsets preset {eval_subsets!r}; known: '
                f'{sorted(EVAL_SUBSET_PRESETS)} or a dict name -> class names')
        eval_subsets = EVAL_SUBSET_PRESETS[eval_subsets]
    indices = OrderedDict()
    for metric_name, names in eval_subsets.items():
        unknown = [c for c in names if c not in class_names]
        if unknown or not names:
            raise ValueError(
                f'eval_subsets[{metric_name!r}]: unknown or no class names '
                f'{unknown}; classes are {list(class_names)}')
        indices[metric_name] = np.array([class_names.index(c) for c in names])
    return indices


def release_synthia_means(iou, class_names, eval_subsets):
    """The SYNTHIA subset means as the reference release's evaluation hook derives
    them, from the 19-class mean: ``mIoU16_release = 19 mIoU19 / 16`` and
    ``mIoU13_release = (19 mIoU19 - wall - fence - pole) / 13``.

    Any IoU of terrain, truck or train (classes SYNTHIA has no labels for) leaks into
    both, so these can exceed the plain means over the subsets, which this project
    reports as ``mIoU16``/``mIoU13`` (the standard definition; docs/fidelity.md).
    Returned only when ``eval_subsets`` are the SYNTHIA presets, else empty.

    Args:
        iou (ndarray): per-class IoU over ``class_names``.
        class_names (Sequence[str]): the dataset's classes.
        eval_subsets (dict[str, list[int]]): resolved subsets (class indices).
    """
    preset = resolve_eval_subsets('synthia', class_names)
    if {k: list(v) for k, v in eval_subsets.items()} != \
            {k: list(v) for k, v in preset.items()}:
        return {}
    total = len(class_names) * float(np.nanmean(iou))
    dropped = [class_names.index(c) for c in ('wall', 'fence', 'pole')]
    return OrderedDict(mIoU16_release=total / len(preset['mIoU16']),
                       mIoU13_release=(total - float(np.nansum(iou[dropped])))
                       / len(preset['mIoU13']))


@DATASETS.register_module()
class UVPTCityscapesDataset(CheckedDatasetMixin, CityscapesDataset):
    """mmseg's CityscapesDataset with input checks and subset mIoUs.

    ``evaluate`` reports mmseg's metrics and per-class table; with ``mIoU`` the
    means are unrounded (the mean over all classes under ``mIoU`` and one mean per
    configured subset), accumulated in float64.

    Args:
        eval_subsets (dict | str | None): extra means to report, as
            ``dict(mIoU16=[class names], mIoU13=[...])``, or ``'synthia'`` for
            the standard SYNTHIA 16/13-class subsets. Default None.
        **kwargs: the arguments of mmseg's ``CityscapesDataset`` (``pipeline``,
            ``img_dir``, ``ann_dir``, ``data_root``, ``test_mode``, ...).
    """

    MISSING_LABEL_HINT = ('Run tools/convert_datasets/cityscapes.py <data_root> '
                          'to write the *_gtFine_labelTrainIds.png labels.')

    def __init__(self, eval_subsets=None, **kwargs):
        super().__init__(**kwargs)
        self.eval_subsets = resolve_eval_subsets(eval_subsets,
                                                 list(self.CLASSES))

    def image_groups(self):
        """``{group name: image indices}`` whose mIoU :meth:`evaluate` reports
        besides the whole set's; none here (ACDC: one group per condition)."""
        return {}

    def _to_pre_eval(self, results):
        """Per-image (intersect, union, pred, label) areas in float64.

        Predictions (arrays or .npy files) are reduced with mmseg's own
        ``pre_eval``. float64 because mmseg sums float32 areas, which stop
        counting single pixels once a class total passes 2**24 (the road of
        ~20 Cityscapes images).
        """
        if mmcv.is_list_of(results, np.ndarray) or mmcv.is_list_of(
                results, str):
            results = [
                self.pre_eval(pred, idx)[0] for idx, pred in enumerate(results)
            ]
        return [tuple(area.double() for area in res) for res in results]

    def evaluate(self, results, metric='mIoU', logger=None,
                 imgfile_prefix=None, **kwargs):
        """mmseg's Cityscapes evaluation plus the configured subset means.

        Args:
            results (list): per-image ``pre_eval`` results, or predictions
                (arrays or .npy file names), as for mmseg's datasets.
            metric (str | list[str]): 'mIoU', 'mDice', 'mFscore', 'cityscapes'.
            logger (logging.Logger | str | None): default mmseg's root logger.
            imgfile_prefix (str | None): for the 'cityscapes' metric.
            **kwargs: ignored (evaluation options meant for other datasets).

        Returns:
            dict[str, float]: mmseg's keys (``mIoU``, ``aAcc``, ``IoU.road``, ...)
            and, when ``mIoU`` is asked for, one key per ``eval_subsets`` entry
            and ``mIoU_<group>`` per group of :meth:`image_groups` (the mIoU of
            that group's images alone, e.g. ACDC's conditions).
        """
        # mmseg's test script passes no logger: use mmseg's, so that the
        # per-class table also lands in the log file
        logger = get_root_logger() if logger is None else logger
        metrics = [metric] if isinstance(metric, str) else list(metric)
        if set(metrics) - {'cityscapes'}:
            results = self._to_pre_eval(results)
        eval_results = super().evaluate(results, metrics, logger,
                                        imgfile_prefix)
        if 'mIoU' not in metrics:
            return eval_results
        iou = pre_eval_to_metrics(results, ['mIoU'])['IoU']
        means = OrderedDict(mIoU=float(np.nanmean(iou)))
        for name, idx in self.eval_subsets.items():
            means[name] = float(np.nanmean(iou[idx]))
        means.update(release_synthia_means(iou, self.CLASSES, self.eval_subsets))
        for name, indices in self.image_groups().items():
            group_iou = pre_eval_to_metrics([results[i] for i in indices], ['mIoU'])['IoU']
            means[f'mIoU_{name}'] = float(np.nanmean(group_iou))
        eval_results.update(means)
        if len(means) > 1:
            table = PrettyTable()
            for name, value in means.items():
                table.add_column(name, [round(value * 100, 2)])
            print_log('Class-subset means:', logger)
            print_log('\n' + table.get_string(), logger=logger)
        return eval_results
