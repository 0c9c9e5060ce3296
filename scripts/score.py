"""Score a submission against solution.csv: overall, Public and Private parts, per class.

    python scripts/score.py FILE --solution solution.csv [--json]
"""

import argparse
import json
import sys

from kaggle_mnist.cli import run
from kaggle_mnist.submission import read_solution, read_submission, score


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--solution", required=True)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    solution = read_solution(args.solution)
    result = score(read_submission(args.file, n_rows=len(solution.labels)), solution)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"accuracy {result['accuracy']:.5f} on {result['n']} rows")
    if result.get("public_accuracy") is not None:
        print(f"  public {result['public_accuracy']:.5f}   private {result['private_accuracy']:.5f}")
    print("per class: " + "  ".join(f"{k}: {v:.4f}" for k, v in result["per_class_accuracy"].items()))
    print("confusion matrix (rows: true label, columns: predicted):")
    for k, row in enumerate(result["confusion_matrix"]):
        print(f"  {k}: " + " ".join(f"{v:5d}" for v in row))


if __name__ == "__main__":
    sys.exit(run(main))
