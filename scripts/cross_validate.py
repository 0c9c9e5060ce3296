"""k-fold cross-validation of a preset, the fold-ensemble submission, and a report.

    python scripts/cross_validate.py --data-dir DIR --preset NAME [--folds 5] [--seed 0]
        [--n-jobs 1] [--backend loky|dask --scheduler ADDRESS] [--holdout FRACTION]
        [--out RUN_DIR] [--submission FILE] [--resume] [--force] [--set NAME=VALUE ...]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from kaggle_mnist import __version__, cv, paths, presets, runs
from kaggle_mnist.cli import git_commit, parse_overrides, run
from kaggle_mnist.data import load_competition
from kaggle_mnist.fileio import check_writable
from kaggle_mnist.report import write_report
from kaggle_mnist.submission import score, write_submission


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(paths.DATA_DIR), help="folder with train.csv and test.csv")
    parser.add_argument("--preset", default=presets.DEFAULT, choices=list(presets.PRESETS))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--holdout", type=float, help="one stratified split holding out this fraction instead")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="folds trained side by side")
    parser.add_argument("--backend", default="loky", choices=["loky", "dask"])
    parser.add_argument("--scheduler", help="Dask scheduler address, with --backend dask")
    parser.add_argument("--out", help="run folder (default: runs/cv-PRESET-seedSEED)")
    parser.add_argument("--submission", help="submission file (default: submissions/cv-PRESET-seedSEED.csv)")
    parser.add_argument("--resume", action="store_true", help="keep the folds already in the run folder")
    parser.add_argument("--force", action="store_true", help="overwrite an existing run folder and submission")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a preset parameter")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    args = parser.parse_args(argv)
    cv.check_settings(args.folds, args.holdout, args.backend, args.scheduler, args.n_jobs)
    return args


def main(argv=None):
    args = parse_args(argv)
    overrides = parse_overrides(args.set)
    parameters = presets.params(args.preset, **overrides)  # a bad override fails before any work
    name = f"cv-{args.preset}-{'holdout' if args.holdout else f'{args.folds}fold'}-seed{args.seed}"
    run_dir = Path(args.out or paths.RUNS_DIR / name)
    sub_path = Path(args.submission or paths.SUBMISSIONS_DIR / f"{name}.csv")
    runs.check_can_start(run_dir, args.resume, args.force)
    check_writable(sub_path, args.force or args.resume)
    comp = load_competition(args.data_dir)
    classes, y = np.unique(comp.y, return_inverse=True)
    config = {"preset": args.preset, "parameters": parameters, "seed": args.seed,
              "folds": None if args.holdout else args.folds, "holdout": args.holdout, "n_jobs": args.n_jobs,
              "backend": args.backend, "version": __version__, "git_commit": git_commit(),
              "data_dir": str(comp.folder.resolve()), "classes": classes.tolist()}
    runs.start(run_dir, config, args.resume, args.force)
    print(f"cross-validating preset {args.preset} on {len(y)} rows "
          f"({'holdout ' + str(args.holdout) if args.holdout else f'{args.folds} folds'}), run folder {run_dir}",
          flush=True)

    result = cv.cross_validate(comp.X, y, comp.X_test, args.preset, overrides, args.folds, args.seed, args.n_jobs,
                               args.backend, args.scheduler, run_dir, resume=args.resume,
                               holdout=args.holdout, verbose=0 if args.quiet else 1)
    labels = classes[result["test_proba"].argmax(axis=1)]
    write_submission(sub_path, labels, force=True)
    print(f"wrote the fold-ensemble submission {sub_path} ({len(labels)} rows)")
    scored = None
    if comp.solution is not None:
        scored = score(labels, comp.solution)
        print(f"scored against the solution in {comp.folder}: accuracy {scored['accuracy']:.4f}")
    metrics = runs.save_results(run_dir, result, classes, {"submission_score": scored} if scored else None)
    figures = write_report(run_dir, config, metrics, result["folds"], comp.X, y, result["oof_proba"], scored)
    print(f"out-of-fold accuracy {metrics['oof_accuracy']:.4f}; fold mean {metrics['mean_accuracy']:.4f} "
          f"± {metrics['std_accuracy']:.4f}")
    print(f"report: {run_dir / 'report.md'}" + (f"; figures: {', '.join(str(p) for p in figures)}" if figures else ""))


if __name__ == "__main__":
    sys.exit(run(main))
