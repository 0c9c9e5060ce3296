"""Check a submission file as Kaggle does; list every problem with its line.

    python scripts/validate_submission.py FILE [--test test.csv]

Exit status 0 if valid, 1 if not (each problem on its own line), 2 on a usage error.
"""

import argparse
import sys

from kaggle_mnist.cli import run
from kaggle_mnist.data import load_test
from kaggle_mnist.submission import N_TEST, find_problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--test", help="test.csv, for its row count (default: 28,000 rows)")
    args = parser.parse_args(argv)
    n_rows = len(load_test(args.test)) if args.test else N_TEST
    problems = find_problems(args.file, n_rows)
    for problem in problems:
        print(problem)
    if problems:
        print(f"invalid: {len(problems)} problem(s) shown", file=sys.stderr)
        return 1
    print(f"{args.file}: valid submission ({n_rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
