"""What the commands share: argument types, the data folder, run options, preset
overrides, the checkout's commit."""

import argparse
import json
import subprocess

from kaggle_mnist.errors import KaggleMnistError


def seed(text):
    """An integer seed in [0, 2**32 - 1], what NumPy and scikit-learn accept."""
    from kaggle_mnist.seeds import MAX_SEED

    value = integer(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed in [0, {MAX_SEED}]")
    return value


def integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def at_least(low, high=None):
    """An integer type whose values are >= ``low`` (and <= ``high``, if given)."""
    def check(text):
        value = integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r} is below {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{text!r} is above {high}")
        return value

    check.__name__ = f"integer >= {low}" if high is None else f"integer in [{low}, {high}]"
    return check


def fraction(text):
    """A number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction strictly between 0 and 1")
    return value


def add_data_dir(parser):
    from kaggle_mnist.paths import DATA_DIR, KAGGLE_INPUT

    parser.add_argument("--data-dir", help=f"the folder with train.csv, test.csv and, when it has one, solution.csv "
                                           f"(default: {DATA_DIR}/, or {KAGGLE_INPUT} in a Kaggle notebook)")


def add_run_options(parser, parts, default_out):
    """The options of a command that trains ``parts`` ("folds", "members") side by side
    into a run folder: --n-jobs, --backend, --scheduler, --out, --submission, --resume,
    --force, --set, --quiet."""
    parser.add_argument("--n-jobs", type=at_least(1), default=1, help=f"{parts} trained side by side")
    parser.add_argument("--backend", default="loky", choices=["loky", "dask"],
                        help="loky: processes on this machine; dask: a Dask cluster (--scheduler)")
    parser.add_argument("--scheduler", help="Dask scheduler address, with --backend dask (e.g. tcp://host:8786)")
    parser.add_argument("--out", help=f"run folder (default: {default_out})")
    parser.add_argument("--submission", help="submission file (default: submissions/ + the default run folder's "
                                                  "name + .csv)")
    parser.add_argument("--resume", action="store_true", help=f"keep the {parts} already in the run folder "
                                                              "(if it was made with the same settings)")
    parser.add_argument("--force", action="store_true", help="start afresh: empty an existing run folder, "
                                                             "overwrite the submission (with --resume: only "
                                                             "a run folder made with other settings)")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help="override a preset parameter (JSON value), e.g. --set max_iter=5")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")


def data_dir(args):
    """The data folder the command should read: --data-dir, else the default."""
    from pathlib import Path

    from kaggle_mnist.paths import default_data_dir

    return Path(args.data_dir) if args.data_dir else default_data_dir()

def parse_overrides(items):
    """["max_iter=3", "hidden_layer_sizes=[64, 32]"] -> {"max_iter": 3, "hidden_layer_sizes": (64, 32)}.

    Values are JSON; anything that is not JSON is taken as a string.
    """
    from kaggle_mnist.estimator import NumpyNetClassifier

    known = NumpyNetClassifier().get_params().keys() - {"random_state", "verbose"}  # those are --seed, --quiet
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or key not in known:
            raise KaggleMnistError(f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(sorted(known))}")
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or too deep or long: a string, which the checks name
            parsed = value
        out[key] = tuple(parsed) if isinstance(parsed, list) else parsed
    return out


def git_commit():
    """The commit of the checkout the package runs from, or None (an installed copy)."""
    from kaggle_mnist.paths import SOURCE_DIR

    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SOURCE_DIR, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None
