"""Validate a submission and hand it to the kaggle CLI.

    python scripts/submit.py FILE -m MESSAGE
"""

import argparse
import shutil
import subprocess
import sys

from kaggle_mnist.cli import run
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.prepare import KAGGLE_COMPETITION, kaggle_configured
from kaggle_mnist.submission import find_problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("-m", "--message", required=True, help="the submission's description on Kaggle")
    args = parser.parse_args(argv)
    problems = find_problems(args.file)
    if problems:
        raise KaggleMnistError(f"not submitted: {problems[0]} (see scripts/validate_submission.py)")
    if shutil.which("kaggle") is None:
        raise KaggleMnistError("the kaggle CLI is not installed (pip install kaggle); the file is valid")
    if not kaggle_configured():
        raise KaggleMnistError("the kaggle CLI has no credentials (~/.kaggle/kaggle.json); the file is valid")
    cmd = ["kaggle", "competitions", "submit", "-c", KAGGLE_COMPETITION, "-f", args.file, "-m", args.message]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise KaggleMnistError(f"kaggle submit failed: {lines[-1] if lines else result.returncode}")
    print(result.stdout.strip())


if __name__ == "__main__":
    sys.exit(run(main))
