"""Checkpoint contents that load with ``weights_only=True``, and strict model loading."""
import numpy as np
import torch

from ..utils import CheckpointError, load_checkpoint_file
from ..utils.source_checkpoint import unwrap_state_dict

#: leaf types torch's weights-only unpickler accepts
_SAFE_LEAVES = (str, bytes, int, float, complex, bool, type(None), torch.Tensor,
                torch.Size, torch.dtype, torch.device)


def to_checkpoint_safe(obj, key='checkpoint'):
    """``obj`` with numpy scalars made Python numbers and numpy arrays made tensors.

    mmcv's hooks put numpy values into ``runner.meta`` (e.g. the best mIoU), which a
    ``weights_only`` load refuses, so a saved run could not be resumed. Any other
    object is refused now, naming its key, instead of at resume time.

    Args:
        obj: a checkpoint dict or part of one.
        key (str): where ``obj`` sits, for the message.
    """
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, dict):
        # plain dict: config dicts (addict) are not on the weights-only allow list
        return {k: to_checkpoint_safe(v, f'{key}.{k}') for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and not isinstance(obj, torch.Size):
        items = [to_checkpoint_safe(v, f'{key}[{i}]') for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, _SAFE_LEAVES):
        return obj
    raise CheckpointError(
        f'{key} holds a {type(obj).__name__}, which a weights_only checkpoint load '
        'refuses; store tensors, numbers, strings and plain containers only')


def load_model_checkpoint(model, path, logger=None):
    """Load a full trained checkpoint into ``model``, every key and shape matching.

    Args:
        model (nn.Module): the model built from the config (wrappers are unwrapped).
        path (str): the checkpoint.
        logger (logging.Logger | None): gets a one-line report.

    Returns:
        dict: the loaded checkpoint (``meta`` etc.).

    Raises:
        CheckpointError: the file is missing, unsafe, or does not fit the model.
    """
    checkpoint = load_checkpoint_file(path)
    state = unwrap_state_dict(checkpoint, path)
    model = getattr(model, 'module', model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointError(
            f'checkpoint {path} does not fit the model of the config: {err}') from None
    if logger is not None:
        logger.info(f'loaded {len(state)} tensors from {path}')
    return checkpoint
