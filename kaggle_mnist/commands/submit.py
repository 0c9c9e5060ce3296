"""Validate a submission and hand it to the kaggle CLI."""

from kaggle_mnist import kaggle_cli
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.submission import find_problems

HELP = "validate a submission and submit it with the kaggle CLI"


def add_arguments(parser):
    parser.add_argument("file", help="the submission CSV")
    parser.add_argument("-m", "--message", required=True, help="the submission's description on Kaggle")


def main(args):
    problems = find_problems(args.file)
    if problems:
        raise KaggleMnistError(f"not submitted: {problems[0]} (see kaggle-mnist validate)")
    print(kaggle_cli.run(kaggle_cli.submit_args(args.file, args.message), "not submitted").strip())
