"""Checkpoint formats: weights-only loading and atomic saving (``checkpoint_files``),
the fresh-key rules (``state_keys``),
how a checkpoint fits a model (``fit``), source-checkpoint loading and the key-rename
engine of ``tools/model_converters/`` (``source_mapping``), and prompt-only
checkpoints (``prompt_only``). Imports nothing else of the package."""
from .checkpoint_files import CheckpointError, atomic_save, load_checkpoint_file

__all__ = ['CheckpointError', 'atomic_save', 'load_checkpoint_file']
