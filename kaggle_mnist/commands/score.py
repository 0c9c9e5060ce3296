"""Score submissions against solution.csv: overall, Public and Private parts, per class;
given several, how far their mistakes overlap and whether their differences are chance."""

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
    results = [{"file": str(file), **score(pred, solution)} for file, pred in zip(files, preds)]
    if len(files) == 1:
        if args.json:
            print(json.dumps(results[0], indent=2))
        else:
            print_one(results[0])
        return
    overlap = shared_mistakes(preds, solution.labels)
    if args.json:
        print(json.dumps({"files": results, "shared_mistakes": overlap}, indent=2))
        return
    for number, result in enumerate(results, start=1):
        print(f"{number}: {summary(result)}")
    print_overlap(len(files), overlap)


def summary(result):
    """One line: accuracy with its 95% interval, mistakes, and the Public/Private parts."""
    low, high = result["accuracy_interval"]
    line = (f"{result['file']}: accuracy {result['accuracy']:.5f} on {result['n']} rows, {result['mistakes']} "
            f"mistakes (95% interval {low:.5f}-{high:.5f})")
    parts = [f"{part} {result[f'{part}_accuracy']:.5f}" for part in ("public", "private")
             if result.get(f"{part}_accuracy") is not None]
    return line + ("; " + ", ".join(parts) if parts else "")


def print_one(result):
    print(summary(result))
    parts = [f"{part} {result[f'{part}_interval'][0]:.5f}-{result[f'{part}_interval'][1]:.5f}"
             for part in ("public", "private") if result.get(f"{part}_interval") is not None]
    if parts:
        print("  95% intervals: " + ", ".join(parts))
    print("per class: " + "  ".join(f"{k}: {v:.4f}" for k, v in result["per_class_accuracy"].items()
                                    if v is not None))
    print("confusion matrix (rows: true label, columns: predicted):")
    print("       " + " ".join(f"{k:>5}" for k in range(len(result["confusion_matrix"]))))
    for k, row in enumerate(result["confusion_matrix"]):
        print(f"  {k}:   " + " ".join(f"{v:5d}" for v in row))


def print_overlap(m, overlap):
    print("mistakes shared (row i, column j: rows both get wrong; the diagonal: each one's own):")
    print("      " + " ".join(f"{j:>6}" for j in range(1, m + 1)))
    for i, row in enumerate(overlap["shared"], start=1):
        print(f"  {i:>2}: " + " ".join(f"{v:6d}" for v in row))
    print(f"wrong in all {m}: {overlap['in_all']}, {overlap['same_wrong_in_all']} of them with the same wrong digit "
          f"(no average of these can mend those); wrong in at least one: {overlap['in_any']}")
    print("pairs, on the same rows (sign test p: the chance of a split this uneven if both were equally good):")
    for pair in overlap["pairs"]:
        print(f"  {pair['i']} against {pair['j']}: {pair['only_i']} rows only {pair['i']} gets wrong, "
              f"{pair['only_j']} only {pair['j']} (p = {pair['p']:.2g})")
