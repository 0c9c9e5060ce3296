"""The ``kaggle-mnist`` command: one-line errors, exit codes, subcommands.

    kaggle-mnist [--workdir DIR] COMMAND [options]     (or: python -m kaggle_mnist ...)

Each command lives in :mod:`kaggle_mnist.commands` (prepare, cv, train, predict,
ensemble, validate, score, submit, benchmark, runs); ``scripts/*.py`` call the same
functions. Every default path is relative to the working folder (``--workdir``).

Exit status: 0 done; 1 a submission that is not valid (``validate``); 2 a mistake in
the input (one line on stderr naming what is wrong); 130 Ctrl-C; 143 SIGTERM.
"""

import argparse
import atexit
import os
import signal
import sys
import threading

from kaggle_mnist.errors import KaggleMnistError


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default, where it has one worth saying."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.default is argparse.SUPPRESS \
                or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (``error: ...``), exit status 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        print(f"error: {self.prog}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


# ------------------------------------------------------------------ running a command
INTERRUPTIONS = {signal.SIGINT: ("interrupted", 130), signal.SIGTERM: ("terminated", 143)}  # what is said, the status
def run(main, argv=None, exiting=False):
    """Call ``main(argv)``; report a :class:`KaggleMnistError` as ``error: ...`` and exit 2.

    A fault of the machine (a full disk, a read-only or missing folder, not enough
    memory) is reported the same way, naming the path and the cause. Ctrl-C exits with
    status 130 and a one-line note instead of a traceback. SIGTERM (``kill``, a batch
    system's time limit) is handled as Ctrl-C is, so that it too stops the worker
    processes of a parallel cross-validation instead of leaving them training on, and
    exits with 143. Temporaries of an interrupted write are removed on the way out.
    Anything else is a bug and keeps its traceback.

    ``exiting``: the process ends when ``main`` returns (the console command). A signal
    that arrives after the work, while the interpreter waits for threads and runs the
    exit hooks the command registered (worker pools closing), then ends the process at
    once with its status instead of raising into the shutdown; after those, when the
    interpreter only closes down and frees memory, signals are ignored
    (:func:`ignore_signals`). Otherwise the caller's handlers are put back.
    """
    from kaggle_mnist.fileio import cleanup_pending

    received = []  # the signals that arrived

    def on_signal(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt

    def report_interruption():
        word, status = INTERRUPTIONS[signal.SIGTERM if signal.SIGTERM in received else signal.SIGINT]
        print(word, file=sys.stderr)
        return status

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} if in_main_thread else {}
    if exiting and in_main_thread:  # exit hooks run last registered first: the command's (pools) before this
        atexit.register(ignore_signals)
    try:
        status = main(argv)
    except KaggleMnistError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if isinstance(e, BrokenPipeError):  # output piped into `head` and closed: not an error of ours
            sys.stdout = open(os.devnull, "w")
            return 0
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except MemoryError as e:
        print(f"error: not enough memory{f' ({e})' if str(e) else ''}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return report_interruption()
    finally:
        cleanup_pending()
        for sig, handler in previous.items():
            signal.signal(sig, exit_now if exiting else handler)
    if received:  # main() caught it and finished cleanly (train saves the model so far)
        return report_interruption()
    return 0 if status is None else status


def exit_now(signum, frame):
    """After the work: a signal ends the process with its status (everything is written)."""
    word, status = INTERRUPTIONS[signum]
    print(word, file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(status)


def ignore_signals():
    """The interpreter's teardown: ignore SIGINT and SIGTERM.

    Python puts the default actions back while it finalizes, and its teardown (freeing
    NumPy, pandas, matplotlib) takes a few hundred milliseconds, in which a signal would
    kill the finished process without a word (status -2 or -15 instead of its own). The
    work is written; the process ends by itself within moments.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def build_parser():
    """The ``kaggle-mnist`` parser with one subparser per command."""
    from kaggle_mnist import __version__
    from kaggle_mnist.commands import COMMANDS

    parser = Parser(prog="kaggle-mnist", description="Kaggle's Digit Recognizer with a neural network written "
                                                     "from scratch in NumPy: data, cross-validation, submissions.",
                    epilog="kaggle-mnist COMMAND --help describes each command.")
    parser.add_argument("--version", action="version", version=f"kaggle-mnist {__version__}")
    parser.add_argument("--workdir", default=".", help="the folder every default path is relative to")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name, module in COMMANDS.items():
        about = " ".join(module.__doc__.strip().split("\n\n")[0].split())  # the docstring's first paragraph
        sub = commands.add_parser(name, help=module.HELP, description=about,
                                  formatter_class=HelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.main)
    return parser


def dispatch(argv):
    """Parse ``argv`` (a command and its options) and run the command."""
    args = build_parser().parse_args(argv)
    if args.workdir != ".":
        if not os.path.isdir(args.workdir):
            raise KaggleMnistError(f"--workdir {args.workdir}: no such folder")
        os.chdir(args.workdir)
    return args.handler(args)


def main(argv=None):
    """The console entry point ``kaggle-mnist``."""
    return run(dispatch, sys.argv[1:] if argv is None else argv, exiting=argv is None)


def script(command):
    """What ``scripts/COMMAND.py`` runs: ``kaggle-mnist COMMAND`` with the script's arguments."""
    return run(lambda argv: dispatch([command, *argv]), sys.argv[1:], exiting=True)
