"""What every script shares: turn a user's mistake into one line and exit status 2."""

import sys

from kaggle_mnist.errors import KaggleMnistError


def run(main, argv=None):
    """Call ``main(argv)``; report a :class:`KaggleMnistError` as ``error: ...`` and exit 2.

    Ctrl-C exits with status 130 and a one-line note instead of a traceback. Anything
    else is a bug and keeps its traceback.
    """
    try:
        status = main(argv)
    except KaggleMnistError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else status
