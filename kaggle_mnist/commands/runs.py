"""List the runs in a folder, best first: a local leaderboard."""

import json
from pathlib import Path

from kaggle_mnist import paths, runs
from kaggle_mnist.errors import KaggleMnistError

HELP = "list the cross-validation runs in a folder, best first"


def add_arguments(parser):
    parser.add_argument("folder", nargs="?", help=f"the folder of run folders (default: {paths.RUNS_DIR}/)")


def read_run(run_dir):
    """One row of the table, or None for a folder that is not a finished run."""
    try:
        config = json.loads((run_dir / runs.CONFIG_JSON).read_text())
        metrics = json.loads((run_dir / runs.METRICS_JSON).read_text())
        held_out = (metrics.get("submission_score") or {}).get("accuracy")
        row = {"run": run_dir.name, "preset": config["preset"],
               "folds": (f"holdout {config['holdout']}" if config.get("holdout") else
                         "ensemble" if config.get("kind") == "ensemble" else str(config["folds"])),
               "seed": config["seed"], "oof": metrics.get("oof_accuracy"), "held_out": held_out,
               "seconds": metrics.get("seconds"), "submission": metrics.get("submission")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    numbers = (row["oof"], row["held_out"], row["seconds"])
    if not isinstance(row["preset"], str) or not isinstance(row["submission"], (str, type(None))) or not all(
            x is None or isinstance(x, (int, float)) and not isinstance(x, bool) for x in numbers):
        return None  # hand-edited beyond recognition: not listed
    return row


def table(folder):
    """The finished runs under ``folder``, best first (held-out score, else out-of-fold)."""
    rows = [row for d in sorted(Path(folder).iterdir()) if d.is_dir() and (row := read_run(d))]
    return sorted(rows, key=lambda r: (r["held_out"] if r["held_out"] is not None else -1, r["oof"] or -1),
                  reverse=True)


def fmt_time(seconds):
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def main(args):
    folder = paths.RUNS_DIR if args.folder is None else Path(args.folder)
    if args.folder is not None and not folder.is_dir():
        raise KaggleMnistError(f"{folder}: no such folder" if not folder.exists() else f"{folder}: not a folder")
    if not folder.is_dir():
        print(f"no runs yet: {folder}/ does not exist")
        return
    rows = table(folder)
    if not rows:
        print(f"no finished runs in {folder}/")
        return
    header = ["#", "run", "preset", "folds", "seed", "out-of-fold", "held-out", "time", "submission"]
    lines = [[str(i), r["run"], r["preset"], r["folds"], str(r["seed"]), "-" if r["oof"] is None else f"{r['oof']:.4f}",
              "-" if r["held_out"] is None else f"{r['held_out']:.5f}", fmt_time(r["seconds"]),
              r["submission"] or "-"] for i, r in enumerate(rows, 1)]
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    for line in [header, *lines]:
        print("  ".join(x.ljust(w) for x, w in zip(line, widths)).rstrip())
