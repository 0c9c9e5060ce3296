"""Check a submission file as Kaggle does; list every problem with its line.

Exit status 0 if valid, 1 if not (each problem on its own line), 2 on a usage error.
"""

import sys

from kaggle_mnist import paths
from kaggle_mnist.data import load_test
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.submission import N_TEST, find_problems

HELP = "check a submission as Kaggle does"


def newest_submission():
    """The most recently written CSV in submissions/ (what a command just wrote)."""
    found = sorted(paths.SUBMISSIONS_DIR.glob("*.csv"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise KaggleMnistError(f"no submission given and none in {paths.SUBMISSIONS_DIR}/")
    return found[-1]


def add_arguments(parser):
    parser.add_argument("file", nargs="?", help="the submission (default: the newest CSV in submissions/)")
    parser.add_argument("--test", help="test.csv, for its row count (default: 28,000 rows)")


def main(args):
    file = args.file or newest_submission()
    n_rows = len(load_test(args.test)) if args.test else N_TEST
    problems = find_problems(file, n_rows)
    for problem in problems:
        print(problem)
    if problems:
        print(f"invalid: {len(problems)} problem(s) shown", file=sys.stderr)
        return 1
    print(f"{file}: valid submission ({n_rows} rows)")
    return 0
