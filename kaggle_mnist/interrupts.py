"""Ctrl-C and SIGTERM: held back for the few moments an operation must not be cut.

Python turns SIGINT into ``KeyboardInterrupt`` (and the command line turns SIGTERM into
the same: ``cli.run``), raised wherever the main thread happens to be. Almost
everywhere that is fine: the command stops and reports it. Two kinds of moment are not
fine: a hand-off between threads (a result taken from a queue but not yet stored) and
the last steps of an atomic write (the rename, and the clean-up of the temporary
file). :func:`held` blocks both signals for such a moment; the kernel keeps them
pending and delivers them as soon as it ends, so they still take effect at once.
"""

import contextlib
import signal
import threading

HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held():
    """Hold SIGINT and SIGTERM until the block ends (main thread; elsewhere a no-op,
    since only the main thread receives Python's signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # a held signal arrives here


def block_in_this_thread():
    """For helper threads: never receive these signals (they are the main thread's)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
