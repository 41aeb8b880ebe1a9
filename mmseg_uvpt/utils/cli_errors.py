"""The command line's answer to a mistake: one line and exit status 2, no traceback.

The stage scripts check their inputs before long work starts and raise
:class:`ConfigError` (config, option, data folder), :class:`CheckpointError`
(checkpoint file) or :class:`DataFileError` (an image or label file) with a message
that names the file or key. At the command line that message is all a person needs,
so :func:`run_script` prints it as ``<script>: error: <message>`` and exits with
status 2, as argparse does for a bad option. ``--debug`` on the command line or
``UVPT_DEBUG=1`` shows the traceback instead. Any other exception is a bug and keeps
its traceback.

A script that finishes but leaves part of its input undone (``tools/infer.py``
skipping unreadable images) returns a summary dict with ``exit_status`` 1.
"""
import os
import re
import sys

from ..checkpoints.checkpoint_files import CheckpointError
from .config_checks import ConfigError
from .data_errors import DataFileError

DEBUG_ENV = 'UVPT_DEBUG'
DEBUG_FLAG = '--debug'
USAGE_ERROR_STATUS = 2
#: what a finished run that skipped some of its input exits with
PARTIAL_STATUS = 1
#: the project's own errors about its input
INPUT_ERRORS = (ConfigError, CheckpointError, DataFileError)
#: torch's DataLoader re-raises a worker's exception in the main process as the same
#: type, with the worker's whole formatted traceback as its message
#: (``torch._utils.ExceptionWrapper.reraise``); this line starts that traceback
_WORKER_TRACEBACK = '\nOriginal Traceback (most recent call last):'
_REPEATED_NAME = re.compile(r'^(\w+): \1: ')


def add_debug_arg(parser):
    """``--debug``: read by :func:`run_script`; listed in ``--help``."""
    parser.add_argument(DEBUG_FLAG, action='store_true',
                        help=f'show the traceback of an input error (or {DEBUG_ENV}=1)')


def debug_requested(argv):
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, '') not in ('', '0')


def error_message(err):
    """The message of an input error, on one line where it was one.

    Of an error raised in a data-loader worker, the worker's own message (the last
    line of the traceback torch wraps it in). mmcv's ``build_from_cfg`` re-raises a
    constructor's error with the class name put in front, so a dataset's message
    that starts with its name already would name it twice; once is enough.
    """
    text = str(err)
    if _WORKER_TRACEBACK in text:
        last = text.rstrip().splitlines()[-1]
        # traceback prints the exception as '<module>.<qualified name>: <message>'
        name = f'{type(err).__module__}.{type(err).__qualname__}: '
        text = last[len(name):] if last.startswith(name) else last
    return _REPEATED_NAME.sub(r'\1: ', text)


def exit_status(result):
    """0, or the ``exit_status`` of a summary dict returned by a script's ``main``."""
    return result.get('exit_status', 0) if isinstance(result, dict) else 0


def run_script(main, prog, argv=None):
    """Run ``main(argv)``; returns the exit status (0, 2 after an input error, or
    the ``exit_status`` of the summary dict ``main`` returns).

    Args:
        main (callable): the script's ``main(argv)``.
        prog (str): the script's name, which starts the message.
        argv (list[str] | None): ``sys.argv[1:]`` when None.
    """
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        result = main(argv)
    except INPUT_ERRORS as err:
        if debug_requested(argv):
            raise
        print(f'{prog}: error: {error_message(err)}', file=sys.stderr)
        return USAGE_ERROR_STATUS
    return exit_status(result)
