"""The training run-time under the stage commands: ``UVPTIterBasedRunner`` (exact,
safe resume), the resumable, seeded data loaders, the RNG and augmentation state a
checkpoint carries, and loading a model's checkpoint strictly."""
from .checkpoint_loading import load_model_checkpoint, to_checkpoint_safe
from .data_loading import ResumableIterLoader, ResumableSampler, build_loader, loader_settings
from .rng_state import get_rng_state, set_rng_state
from .runner import UVPTIterBasedRunner

__all__ = [
    'ResumableIterLoader', 'ResumableSampler', 'UVPTIterBasedRunner', 'build_loader',
    'get_rng_state', 'load_model_checkpoint', 'loader_settings', 'set_rng_state',
    'to_checkpoint_safe'
]
