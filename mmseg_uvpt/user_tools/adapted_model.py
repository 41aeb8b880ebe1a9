"""Inference on one's own images: mmseg's ``init_segmentor`` for this project's
checkpoints (full or prompt-only), the scale of the test pipeline, batched prediction.

mmseg's own ``init_segmentor`` loads with mmcv's ``load_checkpoint``, which neither
reads a prompt-only checkpoint nor refuses a file that does not fit; this builds the
model the same way and loads through :func:`load_model_checkpoint`. The returned
model works with ``mmseg.apis.inference_segmentor``.
"""
import contextlib

import mmcv
import torch
from mmseg.models import build_segmentor

from ..runtime.checkpoint_loading import load_model_checkpoint
from ..utils.config_checks import ConfigError


def init_adapted_segmentor(config, checkpoint, device='cpu', source_checkpoint=None,
                           logger=None):
    """Build ``config``'s model for inference and load ``checkpoint`` strictly.

    Args:
        config (str | mmcv.Config): the config the checkpoint was trained with.
        checkpoint (str): full or prompt-only checkpoint.
        device (str): e.g. ``'cuda:0'`` or ``'cpu'``.
        source_checkpoint (str | None): source of a prompt-only checkpoint, tried
            before the config's ``source_checkpoint`` and the recorded path.
        logger: gets the loading report.

    Returns:
        nn.Module: the model in eval mode on ``device``, with ``cfg``, ``CLASSES``
        and ``PALETTE`` (from the checkpoint's meta, else the test dataset's).
    """
    cfg = mmcv.Config.fromfile(config) if isinstance(config, str) else config
    cfg.model.pretrained = None
    cfg.model.train_cfg = None
    model = build_segmentor(cfg.model, test_cfg=cfg.get('test_cfg'))
    loaded = load_model_checkpoint(
        model, checkpoint, logger,
        source_checkpoint=source_checkpoint or cfg.get('source_checkpoint'))
    meta = loaded.get('meta', {}) if isinstance(loaded, dict) else {}
    dataset_cls = _test_dataset_class(cfg)
    model.CLASSES = meta.get('CLASSES') or getattr(dataset_cls, 'CLASSES', None)
    model.PALETTE = meta.get('PALETTE') or getattr(dataset_cls, 'PALETTE', None)
    model.cfg = cfg
    return model.to(device).eval()


def _test_dataset_class(cfg):
    """The class of ``cfg.data.test`` (its CLASSES/PALETTE are the fallback)."""
    from mmseg.datasets import DATASETS
    test = cfg.get('data', {}).get('test', {})
    return DATASETS.get(test.get('type')) if isinstance(test, dict) else None


def set_test_scale(cfg, scale=None):
    """Point the test pipeline's ``MultiScaleFlipAug`` at one scale, no flip.

    Args:
        cfg (mmcv.Config): changed in place.
        scale (None | float | tuple[int, int]): None: each image at its own size;
            a float: its own size times that ratio; ``(W, H)``: resized to fit
            ``W x H`` keeping the aspect ratio (mmseg's ``img_scale``).
    """
    steps = [s for s in cfg.data.test.pipeline if s.get('type') == 'MultiScaleFlipAug']
    if not steps:
        raise ConfigError('data.test.pipeline has no MultiScaleFlipAug step to set the '
                          'inference scale in')
    for step in steps:
        step.flip = False
        if isinstance(scale, tuple):
            step.img_scale, step.img_ratios = scale, None
        else:
            # mmseg's "img_scale=None + ratios" mode: the size of each image itself
            step.img_scale, step.img_ratios = None, [float(scale or 1.0)]


def predict(model, images, amp_dtype=None):
    """Class maps of ``images`` (BGR arrays of one shape) in one batch.

    Uses ``mmseg.apis.inference_segmentor`` (test pipeline, collate, device
    placement); predictions come back at each image's own size.

    Args:
        model (nn.Module): from :func:`init_adapted_segmentor`.
        images (list[np.ndarray]): HxWx3 uint8 BGR, all of one shape.
        amp_dtype (torch.dtype | None): autocast dtype (e.g. torch.bfloat16).

    Returns:
        list[np.ndarray]: HxW int64 class maps.
    """
    from mmseg.apis import inference_segmentor
    device = next(model.parameters()).device
    autocast = (torch.autocast(device_type=device.type, dtype=amp_dtype)
                if amp_dtype is not None else contextlib.nullcontext())
    with autocast:
        return inference_segmentor(model, list(images))
