"""k-fold cross-validation of a preset, the fold-ensemble submission, and a report."""

import time

import numpy as np

from kaggle_mnist import __version__, cv, paths, presets, runs
from kaggle_mnist.commands.options import (
    add_data_dir, add_run_options, at_least, data_dir, fraction, git_commit, parse_overrides, seed,
)
from kaggle_mnist.data import check_labels, load_competition
from kaggle_mnist.report import REPORT_MD, write_report
from kaggle_mnist.submission import score, write_submission

HELP = "cross-validate a preset and write the fold-ensemble submission"


def add_arguments(parser):
    add_data_dir(parser)
    parser.add_argument("--preset", default=presets.DEFAULT, choices=list(presets.PRESETS),
                        help="the network and training settings (see README's table)")
    split = parser.add_mutually_exclusive_group()
    # default None, not 5: argparse sees an option as given only if its value is not the
    # default object, and Python keeps a single object for each small integer.
    split.add_argument("--folds", type=at_least(2), help=f"number of stratified folds (default: {cv.DEFAULT_FOLDS})")
    split.add_argument("--holdout", type=fraction, help="one stratified split holding out this fraction, "
                                                        "instead of folds")
    parser.add_argument("--seed", type=seed, default=0, help="seeds the folds, and each fold's model")
    add_run_options(parser, "folds", "runs/cv-PRESET-Kfold-seedSEED, or runs/cv-PRESET-holdout-seedSEED")


def main(args):
    if args.folds is None:
        args.folds = cv.DEFAULT_FOLDS
    cv.check_settings(args.folds, args.holdout, args.backend, args.scheduler, args.n_jobs)
    overrides = parse_overrides(args.set)
    parameters = presets.params(args.preset, **overrides)  # a bad override fails before any work
    name = f"cv-{args.preset}-{'holdout' if args.holdout else f'{args.folds}fold'}-seed{args.seed}"
    run_dir, sub_path = runs.outputs(name, args.out, args.submission, args.resume, args.force)
    comp = load_competition(data_dir(args))
    check_labels(comp.y, comp.folder / paths.TRAIN_CSV, 2 if args.holdout else args.folds)
    classes, y = np.unique(comp.y, return_inverse=True)
    config = {"preset": args.preset, "parameters": parameters, "seed": args.seed,
              "folds": None if args.holdout else args.folds, "holdout": args.holdout, "n_jobs": args.n_jobs,
              "backend": args.backend, "version": __version__, "git_commit": git_commit(),
              "data_dir": str(comp.folder.resolve()), "data": comp.signature(), "classes": classes.tolist()}
    cv.split(y, args.folds, args.seed, args.holdout)  # an impossible split fails before the run folder is made
    runs.start(run_dir, config, args.resume, args.force)
    started = time.perf_counter()
    print(f"cross-validating preset {args.preset} on {len(y)} rows "
          f"({'holdout ' + str(args.holdout) if args.holdout else f'{args.folds} folds'}), run folder {run_dir}",
          flush=True)

    result = cv.cross_validate(comp.X, y, comp.X_test, args.preset, overrides, args.folds, args.seed, args.n_jobs,
                               args.backend, args.scheduler, run_dir, resume=args.resume,
                               holdout=args.holdout, verbose=0 if args.quiet else 1, data=config["data"])
    labels = classes[result["test_proba"].argmax(axis=1)]
    write_submission(sub_path, labels, force=True)
    what = "hold-out model's" if args.holdout else "fold-ensemble"
    print(f"wrote the {what} submission {sub_path} ({len(labels)} rows)")
    scored = None
    if comp.solution is not None:
        scored = score(labels, comp.solution)
        print(f"scored against the solution in {comp.folder}: accuracy {scored['accuracy']:.4f}")
    metrics = runs.save_results(run_dir, result, classes, {
        "submission": str(sub_path), "submission_score": scored, "seconds": time.perf_counter() - started})
    figures = write_report(run_dir, config, metrics, result["folds"], comp.X, y, result["oof_proba"], scored)
    if args.holdout:
        print(f"hold-out accuracy {metrics['oof_accuracy']:.4f} on {metrics['n_scored']} rows")
    else:
        print(f"out-of-fold accuracy {metrics['oof_accuracy']:.4f}; fold mean {metrics['mean_accuracy']:.4f} "
              f"± {metrics['std_accuracy']:.4f}")
    print(f"report: {run_dir / REPORT_MD}" + (f"; figures: {', '.join(str(p) for p in figures)}" if figures else ""))
