"""Checkpoint files: loaded safely, saved atomically; shared by every script.

torch >= 2.6 loads with ``weights_only=True`` by default. The project keeps it that
way: its own and converted checkpoints hold only tensors and plain containers, so
they load safely, and anything else is refused with a message naming the file rather
than unpickled silently.
"""
import os
import pickle
import tempfile
import warnings
import zipfile

import torch

TRUST_ENV = 'UVPT_TRUST_CHECKPOINTS'


class CheckpointError(RuntimeError):
    """A checkpoint file is missing, unreadable or does not fit the model."""


def _looks_like_torch_file(path):
    """A ``torch.save`` zip archive or a legacy pickle (protocol 2+ starts with
    0x80), so that a damaged or foreign file is not reported as unsafe pickle."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, 'rb') as f:
        return f.read(1) == b'\x80'


def load_checkpoint_file(path, map_location='cpu'):
    """Load a checkpoint with ``weights_only=True``.

    Args:
        path (str): the checkpoint file.
        map_location: as in :func:`torch.load`.

    Set ``UVPT_TRUST_CHECKPOINTS=1`` to unpickle a trusted file that holds other
    Python objects (for example a checkpoint saved by another codebase).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f'checkpoint {path} does not exist')
    if not _looks_like_torch_file(path):
        raise CheckpointError(f'checkpoint {path} cannot be read: it is not a PyTorch '
                              'file (neither a torch.save zip archive nor a pickle)')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if os.environ.get(TRUST_ENV) == '1':
            warnings.warn(f'{path}: unpickling arbitrary objects because {TRUST_ENV}=1')
            return torch.load(path, map_location=map_location, weights_only=False)
        reason = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f'checkpoint {path} holds Python objects beyond tensors and plain '
            f'containers ({reason}). Refusing to unpickle it; if you trust the file, '
            f'set {TRUST_ENV}=1, or convert it with tools/model_converters/.') from None
    except (RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f'checkpoint {path} cannot be read: {err}') from None


def atomic_save(obj, path):
    """``torch.save`` to a temp file in the same folder, then rename over ``path``.

    A run killed mid-write leaves the previous file intact, never a truncated one.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', suffix='.pth', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            torch.save(obj, f)
        # mkstemp creates the file 0600; give it the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
