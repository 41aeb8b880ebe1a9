"""Which evaluation metrics a dataset's ``evaluate`` accepts, checked from the config.

mmseg 0.x refuses an unknown metric only inside ``evaluate``, after the whole
inference run (``KeyError: "metric ['mIOU'] is not supported"``). The accepted names
are a local list there, so they are repeated here and checked as soon as the config
is read.
"""
import difflib

from mmseg.datasets import CityscapesDataset
from mmseg.datasets.builder import DATASETS

from ..utils.config_checks import ConfigError, leaf_dataset_cfgs

#: ``CustomDataset.evaluate``'s ``allowed_metrics`` in mmseg 0.x
MMSEG_METRICS = ('mIoU', 'mDice', 'mFscore')
#: ``CityscapesDataset.evaluate`` also runs the cityscapesscripts evaluation
CITYSCAPES_METRIC = 'cityscapes'


def supported_metrics(dataset_type):
    """The metric names ``evaluate`` of a dataset class (or registered name) takes."""
    cls = DATASETS.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    if cls is None:
        raise ConfigError(f'dataset type {dataset_type!r} is not registered')
    # ACDC, Dark Zurich and the folder dataset are CityscapesDataset subclasses whose
    # files cityscapesscripts' evaluation cannot read (CITYSCAPES_METRIC = False)
    extra = (CITYSCAPES_METRIC, ) if issubclass(cls, CityscapesDataset) and \
        getattr(cls, 'CITYSCAPES_METRIC', True) else ()
    return MMSEG_METRICS + extra


def check_eval_metrics(metrics, dataset_cfg, option):
    """Every name in ``metrics`` is a metric of the dataset(s) of ``dataset_cfg``.

    Args:
        metrics (str | Sequence[str]): e.g. ``['mIoU']``.
        dataset_cfg (dict | list): ``cfg.data.test`` or ``cfg.data.val``, wrappers
            and lists included.
        option (str): where the metrics come from (``--eval``,
            ``evaluation.metric``), for the message.

    Raises:
        ConfigError: naming the first unknown metric and the metrics there are.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for _, leaf in leaf_dataset_cfgs(dataset_cfg, 'data'):
        allowed = supported_metrics(leaf.get('type'))
        for metric in metrics:
            if metric in allowed:
                continue
            lower = {name.lower(): name for name in allowed}
            close = difflib.get_close_matches(metric.lower(), list(lower), n=1)
            hint = f' (did you mean {lower[close[0]]}?)' if close else ''
            raise ConfigError(
                f"{option}: metric '{metric}' is not supported by "
                f"{leaf.get('type')}; choose from {', '.join(allowed)}{hint}")
