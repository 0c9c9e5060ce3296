"""Score a submission against solution.csv: overall, Public and Private parts, per class."""

import json

from kaggle_mnist import paths
from kaggle_mnist.commands.options import add_data_dir, data_dir
from kaggle_mnist.commands.validate import newest_submission
from kaggle_mnist.submission import read_solution, read_submission, score

HELP = "score a submission against the held-out labels (solution.csv)"


def add_arguments(parser):
    parser.add_argument("file", nargs="?", help="the submission (default: the newest CSV in submissions/)")
    parser.add_argument("--solution", help="the solution file (default: solution.csv in the data folder)")
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")


def main(args):
    solution = read_solution(args.solution or data_dir(args) / paths.SOLUTION_CSV)
    file = args.file or newest_submission()
    result = score(read_submission(file, n_rows=len(solution.labels)), solution)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{file}: accuracy {result['accuracy']:.5f} on {result['n']} rows")
    if result.get("public_accuracy") is not None:
        print(f"  public {result['public_accuracy']:.5f}   private {result['private_accuracy']:.5f}")
    print("per class: " + "  ".join(f"{k}: {v:.4f}" for k, v in result["per_class_accuracy"].items()))
    print("confusion matrix (rows: true label, columns: predicted):")
    print("       " + " ".join(f"{k:>5}" for k in range(len(result["confusion_matrix"]))))
    for k, row in enumerate(result["confusion_matrix"]):
        print(f"  {k}:   " + " ".join(f"{v:5d}" for v in row))
