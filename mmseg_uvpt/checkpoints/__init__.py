"""Checkpoint formats: weights-only file I/O and the fresh-key rules (``file_io``),
how a checkpoint fits a model (``fit``), source-checkpoint loading and the key-rename
engine of ``tools/model_converters/`` (``source_mapping``), and prompt-only
checkpoints (``prompt_only``). Imports nothing else of the package."""
from .file_io import CheckpointError, atomic_save, load_checkpoint_file

__all__ = ['CheckpointError', 'atomic_save', 'load_checkpoint_file']
