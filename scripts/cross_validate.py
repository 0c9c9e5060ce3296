"""k-fold cross-validation of a preset, the fold-ensemble submission, and a report.

    python scripts/cross_validate.py --data-dir DIR --preset NAME [--folds 5] [--seed 0]
        [--n-jobs 1] [--backend loky|dask --scheduler ADDRESS] [--holdout FRACTION]
        [--out RUN_DIR] [--submission FILE] [--resume] [--force] [--set NAME=VALUE ...]
"""

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

from kaggle_mnist import __version__, cv, paths, presets
from kaggle_mnist.cli import git_commit, parse_overrides, run
from kaggle_mnist.data import load_test, load_train
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import check_writable, write_json
from kaggle_mnist.report import write_report
from kaggle_mnist.submission import read_solution, score, write_submission


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
    presets.params(args.preset, **overrides)  # a bad override fails before any work
    name = f"cv-{args.preset}-{'holdout' if args.holdout else f'{args.folds}fold'}-seed{args.seed}"
    run_dir = Path(args.out or paths.RUNS_DIR / name)
    sub_path = Path(args.submission or paths.SUBMISSIONS_DIR / f"{name}.csv")
    if run_dir.exists() and any(run_dir.iterdir()) and not (args.resume or args.force):
        raise KaggleMnistError(f"{run_dir} already holds a run (use --resume to continue it, --force to redo it)")
    check_writable(sub_path, args.force or args.resume)
    data_dir = Path(args.data_dir)
    X, y_raw = load_train(data_dir / "train.csv")
    X_test = load_test(data_dir / "test.csv")
    classes, y = np.unique(y_raw, return_inverse=True)

    config = {"preset": args.preset, "parameters": presets.params(args.preset, **overrides), "seed": args.seed,
              "folds": None if args.holdout else args.folds, "holdout": args.holdout, "n_jobs": args.n_jobs,
              "backend": args.backend, "version": __version__, "git_commit": git_commit(),
              "data_dir": str(data_dir.resolve()), "classes": classes.tolist()}
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.resume and (run_dir / "config.json").exists():
        import json

        old = json.loads((run_dir / "config.json").read_text())
        keys = ("preset", "parameters", "seed", "folds", "holdout")
        if any(json.loads(json.dumps(config[k])) != old.get(k) for k in keys):
            raise KaggleMnistError(f"{run_dir} was made with other settings; --resume needs the same preset, "
                                   "parameters, seed and folds")
    if args.force and not args.resume and (run_dir / "folds").exists():
        shutil.rmtree(run_dir / "folds")
    write_json(run_dir / "config.json", config)
    print(f"cross-validating preset {args.preset} on {len(X)} rows "
          f"({'holdout ' + str(args.holdout) if args.holdout else f'{args.folds} folds'}), run folder {run_dir}",
          flush=True)

    result = cv.cross_validate(X, y, X_test, args.preset, overrides, args.folds, args.seed, args.n_jobs,
                               args.backend, args.scheduler, run_dir, resume=args.resume,
                               holdout=args.holdout, verbose=0 if args.quiet else 1)
    metrics = {k: v for k, v in result.items() if k not in ("folds", "oof_proba", "test_proba")}
    metrics["folds"] = [{"fold": f.fold + 1, **f.metrics} for f in result["folds"]]
    np.savez(run_dir / "probabilities.npz", oof=result["oof_proba"], test=result["test_proba"], classes=classes)

    labels = classes[result["test_proba"].argmax(axis=1)]
    write_submission(sub_path, labels, force=True)
    print(f"wrote the fold-ensemble submission {sub_path} ({len(X_test)} rows)")
    scored = None
    if (data_dir / "solution.csv").exists():
        scored = score(labels, read_solution(data_dir / "solution.csv"))
        metrics["submission_score"] = scored
        print(f"scored against {data_dir / 'solution.csv'}: accuracy {scored['accuracy']:.4f}")
    write_json(run_dir / "metrics.json", metrics)
    figures = write_report(run_dir, config, metrics, result["folds"], X, y, result["oof_proba"], scored)
    print(f"out-of-fold accuracy {metrics['oof_accuracy']:.4f}; fold mean {metrics['mean_accuracy']:.4f} "
          f"± {metrics['std_accuracy']:.4f}")
    print(f"report: {run_dir / 'report.md'}" + (f"; figures: {', '.join(str(p) for p in figures)}" if figures else ""))


if __name__ == "__main__":
    sys.exit(run(main))
