from .checkpoint_io import CheckpointError, atomic_save, load_checkpoint_file

__all__ = ['CheckpointError', 'atomic_save', 'load_checkpoint_file']
