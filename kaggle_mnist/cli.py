"""What every script shares: one-line errors, preset overrides, run metadata."""

import json
import os
import signal
import subprocess
import sys
import threading

from kaggle_mnist.errors import KaggleMnistError


def run(main, argv=None):
    """Call ``main(argv)``; report a :class:`KaggleMnistError` as ``error: ...`` and exit 2.

    Ctrl-C exits with status 130 and a one-line note instead of a traceback. SIGTERM
    (``kill``, a batch system's time limit) is handled as Ctrl-C is, so that it too
    stops the worker processes of a parallel cross-validation instead of leaving them
    training on, and exits with 143. Anything else is a bug and keeps its traceback.
    """
    terminated = []

    def on_sigterm(signum, frame):
        terminated.append(signum)
        raise KeyboardInterrupt

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_sigterm) if in_main_thread else None
    try:
        status = main(argv)
    except KaggleMnistError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("terminated" if terminated else "interrupted", file=sys.stderr)
        return 143 if terminated else 130
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        sys.stdout = open(os.devnull, "w")
        return 0
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    if terminated:  # main() caught it and finished cleanly (train.py saves the model so far)
        print("terminated", file=sys.stderr)
        return 143
    return 0 if status is None else status


def parse_overrides(items):
    """["max_epochs=3", "hidden_sizes=[64, 32]"] -> {"max_epochs": 3, "hidden_sizes": (64, 32)}.

    Values are JSON; anything that is not JSON is taken as a string.
    """
    from kaggle_mnist.estimator import NumpyNetClassifier

    known = NumpyNetClassifier().get_params()
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise KaggleMnistError(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(sorted(known))}")
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out[key] = tuple(parsed) if isinstance(parsed, list) else parsed
    return out


def git_commit():
    """The current commit of this checkout, or None."""
    from kaggle_mnist.paths import ROOT

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
