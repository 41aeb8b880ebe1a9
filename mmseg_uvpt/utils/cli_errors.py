"""The command line's answer to a mistake: one line and exit status 2, no traceback.

The stage scripts check their inputs before long work starts and raise
:class:`ConfigError` (config, option, data folder) or :class:`CheckpointError`
(checkpoint file) with a message that names the file or key. At the command line
that message is all a person needs, so :func:`run_script` prints it as
``<script>: error: <message>`` and exits with status 2, as argparse does for a bad
option. ``--debug`` on the command line or ``UVPT_DEBUG=1`` shows the traceback
instead. Any other exception is a bug and keeps its traceback.
"""
import os
import sys

from ..checkpoints.file_io import CheckpointError
from .config_checks import ConfigError

DEBUG_ENV = 'UVPT_DEBUG'
DEBUG_FLAG = '--debug'
USAGE_ERROR_STATUS = 2
#: the project's own errors about its input
INPUT_ERRORS = (ConfigError, CheckpointError)


def add_debug_arg(parser):
    """``--debug``: read by :func:`run_script`; listed in ``--help``."""
    parser.add_argument(DEBUG_FLAG, action='store_true',
                        help=f'show the traceback of an input error (or {DEBUG_ENV}=1)')


def debug_requested(argv):
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, '') not in ('', '0')


def run_script(main, prog, argv=None):
    """Run ``main(argv)``; returns the exit status (0, or 2 after an input error).

    Args:
        main (callable): the script's ``main(argv)``.
        prog (str): the script's name, which starts the message.
        argv (list[str] | None): ``sys.argv[1:]`` when None.
    """
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        main(argv)
    except INPUT_ERRORS as err:
        if debug_requested(argv):
            raise
        print(f'{prog}: error: {err}', file=sys.stderr)
        return USAGE_ERROR_STATUS
    return 0
