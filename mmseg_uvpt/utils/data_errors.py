"""Errors about the data files themselves: an image or label that is missing, cannot be
read, or does not fit its sample.

They are input errors like a wrong config key: the command line answers them with one
line naming the file and exit status 2 (:mod:`.cli_errors`). They subclass the
built-in types the data checks raised before (``ValueError``, and
``FileNotFoundError`` for a missing file), so that callers catching those still do.
"""


class DataFileError(ValueError):
    """An image or label file cannot be read or does not fit its sample; the message
    names the file."""


class MissingDataFileError(DataFileError, FileNotFoundError):
    """An image or label file, or a data folder, does not exist; the message names
    it."""
