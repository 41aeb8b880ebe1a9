"""Fixes for mmcv-full 1.7.2 / mmseg 0.30 on today's torch and Pillow, applied once at
import of ``mmseg_uvpt``.

Each fix patches mmcv's objects at run time (never site-packages) and is covered by a
test in ``tests/test_compat.py`` that fails without it.
See docs/architecture.md, "The stack".
"""
import torch

_APPLIED = False


def _fix_scatter_stream():
    """``MMDataParallel`` passes an int GPU index to torch's ``_get_stream``, which
    now reads ``device.type``; give it a ``torch.device``."""
    from mmcv.parallel import _functions
    original = _functions._get_stream

    def _get_stream(device):
        if isinstance(device, int):
            device = torch.device('cuda', device) if device >= 0 else torch.device('cpu')
        return original(device)

    _functions._get_stream = _get_stream


def _fix_ddp_replicated_module():
    """``MMDistributedDataParallel._run_ddp_forward`` reads
    ``_use_replicated_tensor_module``, which torch's DDP no longer defines."""
    from mmcv.parallel import MMDistributedDataParallel
    if not hasattr(MMDistributedDataParallel, '_use_replicated_tensor_module'):
        MMDistributedDataParallel._use_replicated_tensor_module = False


def _fix_checkpoint_loading():
    """Load local checkpoints with ``weights_only=True`` and a clear error, and let
    ``IterBasedRunner.resume`` work without a GPU (its default map location calls
    ``torch.cuda.current_device()``)."""
    from mmcv.runner import IterBasedRunner
    from mmcv.runner.checkpoint import CheckpointLoader

    from ..checkpoints.checkpoint_files import load_checkpoint_file

    CheckpointLoader.register_scheme(
        prefixes='', loader=lambda filename, map_location: load_checkpoint_file(
            filename, map_location), force=True)

    original_resume = IterBasedRunner.resume

    def resume(self, checkpoint, resume_optimizer=True, map_location='default'):
        if map_location == 'default' and not torch.cuda.is_available():
            map_location = 'cpu'
        return original_resume(self, checkpoint, resume_optimizer, map_location)

    IterBasedRunner.resume = resume


def _fix_numpy_palettes():
    """mmseg's ``CityscapesDataset.results2img`` (``test.py --format-only``) passes a
    2-D numpy palette to ``Image.putpalette``; Pillow >= 12 keeps it as is and fails
    when saving. Hand Pillow the bytes it expects."""
    import numpy as np
    from PIL import Image
    original = Image.Image.putpalette

    def putpalette(self, data, rawmode='RGB'):
        if isinstance(data, np.ndarray):
            data = np.ascontiguousarray(data, dtype=np.uint8).tobytes()
        return original(self, data, rawmode)

    Image.Image.putpalette = putpalette


def _fix_json_logs_with_tensors():
    """mmcv's ``TextLoggerHook`` writes ``runner.meta`` into the JSON log; after a
    resume its ``hook_msgs`` hold tensors (checkpointed hook state) and mmcv's JSON
    handler stops the run. Register a handler that writes tensors as lists."""
    from mmcv.fileio import register_handler
    from mmcv.fileio.handlers.json_handler import JsonHandler, set_default

    def default(obj):
        return obj.tolist() if isinstance(obj, torch.Tensor) else set_default(obj)

    class TensorJsonHandler(JsonHandler):

        def dump_to_fileobj(self, obj, file, **kwargs):
            kwargs.setdefault('default', default)
            super().dump_to_fileobj(obj, file, **kwargs)

        def dump_to_str(self, obj, **kwargs):
            kwargs.setdefault('default', default)
            return super().dump_to_str(obj, **kwargs)

    register_handler('json')(TensorJsonHandler)


def apply():
    """Apply every fix once; safe to call again."""
    global _APPLIED
    if _APPLIED:
        return
    _fix_scatter_stream()
    _fix_ddp_replicated_module()
    _fix_checkpoint_loading()
    _fix_numpy_palettes()
    _fix_json_logs_with_tensors()
    _APPLIED = True
