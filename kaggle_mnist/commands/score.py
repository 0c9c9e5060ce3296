"""Score submissions against solution.csv: overall, Public and Private parts, per class;
given several, how far their mistakes overlap."""

import json

from kaggle_mnist import paths
from kaggle_mnist.commands.options import add_data_dir, data_dir
from kaggle_mnist.commands.validate import newest_submission
from kaggle_mnist.submission import read_solution, read_submission, score, shared_mistakes

HELP = "score submissions against the held-out labels (solution.csv)"


def add_arguments(parser):
    parser.add_argument("files", nargs="*", metavar="file",
                        help="the submissions (default: the newest CSV in submissions/); with several, "
                             "also the mistakes they share")
    parser.add_argument("--solution", help="the solution file (default: solution.csv in the data folder)")
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")


def main(args):
    solution = read_solution(args.solution or data_dir(args) / paths.SOLUTION_CSV)
    files = args.files or [newest_submission()]
    preds = [read_submission(file, n_rows=len(solution.labels)) for file in files]
    results = [score(pred, solution) for pred in preds]
    if len(files) == 1:
        if args.json:
            print(json.dumps(results[0], indent=2))
        else:
            print_one(files[0], results[0])
        return
    overlap = shared_mistakes(preds, solution.labels)
    if args.json:
        print(json.dumps({"files": [{"file": str(f), **r} for f, r in zip(files, results)], "mistakes": overlap},
                         indent=2))
        return
    for file, result in zip(files, results):
        print(summary(file, result))
    print_overlap(files, overlap)


def summary(file, result):
    """One line: accuracy with its 95% interval, mistakes, and the Public/Private parts."""
    low, high = result["accuracy_interval"]
    line = (f"{file}: accuracy {result['accuracy']:.5f} on {result['n']} rows, {result['mistakes']} mistakes "
            f"(95% interval {low:.5f}-{high:.5f})")
    if result.get("public_accuracy") is not None:
        line += f"; public {result['public_accuracy']:.5f}, private {result['private_accuracy']:.5f}"
    return line


def print_one(file, result):
    print(summary(file, result))
    if result.get("public_accuracy") is not None:
        (pub_low, pub_high), (priv_low, priv_high) = result["public_interval"], result["private_interval"]
        print(f"  95% intervals: public {pub_low:.5f}-{pub_high:.5f}, private {priv_low:.5f}-{priv_high:.5f}")
    print("per class: " + "  ".join(f"{k}: {v:.4f}" for k, v in result["per_class_accuracy"].items()))
    print("confusion matrix (rows: true label, columns: predicted):")
    print("       " + " ".join(f"{k:>5}" for k in range(len(result["confusion_matrix"]))))
    for k, row in enumerate(result["confusion_matrix"]):
        print(f"  {k}:   " + " ".join(f"{v:5d}" for v in row))


def print_overlap(files, overlap):
    print("mistakes shared (row i, column j: rows both get wrong; the diagonal: each file's own):")
    print("      " + " ".join(f"{j:>6}" for j in range(1, len(files) + 1)))
    for i, row in enumerate(overlap["shared"], start=1):
        print(f"  {i:>2}: " + " ".join(f"{v:6d}" for v in row) + f"   {files[i - 1]}")
    print(f"wrong in all {len(files)}: {overlap['in_all']}; in at least one: {overlap['in_any']} "
          "(averaging the models can mend only the rows they disagree on)")
