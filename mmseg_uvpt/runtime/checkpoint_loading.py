"""Checkpoint contents that load with ``weights_only=True``, and strict model loading
(full and prompt-only checkpoints)."""
import numpy as np
import torch

from ..checkpoints import CheckpointError
from ..checkpoints.fit import fit_error
from ..checkpoints.prompt_only import load_full_state

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


def load_state_strictly(model, state, path, checkpoint=None):
    """``model.load_state_dict(state, strict=True)`` after checking keys and shapes, so
    that a file that does not fit is one message saying what it is (see
    :func:`~mmseg_uvpt.checkpoints.fit.fit_error`) and the model is untouched."""
    model = getattr(model, 'module', model)
    own = model.state_dict()
    fits = set(own) == set(state) and all(
        getattr(state[k], 'shape', None) == v.shape for k, v in own.items())
    if not fits:
        raise fit_error(path, state, own, checkpoint=checkpoint)
    model.load_state_dict(state, strict=True)


def load_model_checkpoint(model, path, logger=None, source_checkpoint=None):
    """Load a full or prompt-only trained checkpoint into ``model``, every key and
    shape matching.

    Args:
        model (nn.Module): the model built from the config (wrappers are unwrapped).
        path (str): the checkpoint.
        logger (logging.Logger | None): gets a one-line report.
        source_checkpoint (str | None): for a prompt-only checkpoint, the source
            checkpoint to try before the recorded one (``--source-checkpoint`` or the
            config's ``source_checkpoint``).

    Returns:
        dict: the loaded checkpoint (``meta`` etc.).

    Raises:
        CheckpointError: the file (or the source of a prompt-only one) is missing,
            unsafe, or does not fit the model.
    """
    checkpoint, state, _ = load_full_state(path, source_checkpoint, logger)
    load_state_strictly(model, state, path, checkpoint)
    if logger is not None:
        logger.info(f'loaded {len(state)} tensors from {path}')
    return checkpoint
