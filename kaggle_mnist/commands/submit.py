"""Validate a submission and hand it to the kaggle CLI."""

import shutil
import subprocess

from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.prepare import KAGGLE_COMPETITION, kaggle_configured
from kaggle_mnist.submission import find_problems

HELP = "validate a submission and submit it with the kaggle CLI"


def add_arguments(parser):
    parser.add_argument("file", help="the submission CSV")
    parser.add_argument("-m", "--message", required=True, help="the submission's description on Kaggle")


def main(args):
    problems = find_problems(args.file)
    if problems:
        raise KaggleMnistError(f"not submitted: {problems[0]} (see kaggle-mnist validate)")
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
