"""Train an ensemble on all of train.csv (optionally a second, pseudo-labelled round), or
combine finished runs and models; write the averaged submission.

    kaggle-mnist ensemble --preset top                      # the preset's members and rounds
    kaggle-mnist ensemble --preset lenet --models 5         # five lenet networks, five child seeds of --seed
    kaggle-mnist ensemble --combine runs/a runs/b models/c --weights 1,1,2 --submission s.csv
"""

import argparse
import time

import numpy as np

from kaggle_mnist import __version__, ensemble, paths, presets, runs
from kaggle_mnist.commands.options import add_data_dir, add_run_options, at_least, data_dir, git_commit, parse_overrides, seed
from kaggle_mnist.data import check_labels, load_competition
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import atomic_path, check_writable, write_json
from kaggle_mnist.submission import score, write_submission

HELP = "train several networks on all rows (and a pseudo-labelled round) or combine runs; average them"


def probability(text):
    """A confidence threshold in [0.5, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.5 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability in [0.5, 1]")
    return value


def add_arguments(parser):
    add_data_dir(parser)
    parser.add_argument("--preset", default="top", choices=[*presets.ENSEMBLES, *presets.PRESETS],
                        help="an ensemble preset (members and rounds), or the network preset of every member")
    parser.add_argument("--models", type=at_least(1, 1000),
                        help="members per round, at most 1000 (default: the ensemble preset's, or 5)")
    parser.add_argument("--pseudo-label", type=probability, metavar="P",
                        help="a second round on the training rows plus the test rows the first round predicts with "
                             "probability >= P (default: the ensemble preset's)")
    parser.add_argument("--seed", type=seed, default=0, help="seeds every member (member i of round r: a child seed)")
    parser.add_argument("--combine", nargs="+", metavar="FOLDER",
                        help="average these finished run folders and model folders instead of training")
    parser.add_argument("--weights", help="comma-separated weights of the --combine folders (default: equal)")
    add_run_options(parser, "members", "runs/ensemble-PRESET-seedSEED")


def main(args):
    from kaggle_mnist.backends import check_scheduler

    if args.backend == "dask" and not args.scheduler:
        raise KaggleMnistError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if args.scheduler and args.backend != "dask":
        raise KaggleMnistError("--scheduler goes with --backend dask")
    if args.weights and not args.combine:
        raise KaggleMnistError("--weights goes with --combine")
    if args.combine:
        unused = [flag for flag, value in (("--models", args.models), ("--pseudo-label", args.pseudo_label),
                                           ("--out", args.out), ("--resume", args.resume), ("--set", args.set))
                  if value]
        if unused:
            raise KaggleMnistError(f"--combine trains nothing: {', '.join(unused)} do(es) not apply")
        return combine(args)
    if args.scheduler:
        check_scheduler(args.scheduler)
    plan = presets.ensemble_plan(args.preset, args.models, args.pseudo_label)
    overrides = parse_overrides(args.set)
    # a bad override fails before any work
    member_parameters = presets.member_parameters(plan, **overrides)
    name = f"ensemble-{args.preset}-seed{args.seed}"
    run_dir, sub_path = runs.outputs(name, args.out, args.submission, args.resume, args.force)
    comp = load_competition(data_dir(args))
    check_labels(comp.y, comp.folder / paths.TRAIN_CSV)
    classes, y = np.unique(comp.y, return_inverse=True)
    config = {"kind": "ensemble", "preset": args.preset, "parameters": {**plan, "member_parameters": member_parameters},
              "seed": args.seed, "folds": None, "holdout": None, "n_jobs": args.n_jobs, "backend": args.backend,
              "version": __version__, "git_commit": git_commit(), "data_dir": str(comp.folder.resolve()),
              "data": comp.signature(), "classes": classes.tolist()}
    runs.start(run_dir, config, args.resume, args.force)
    started = time.perf_counter()
    common = dict(overrides=overrides, n_jobs=args.n_jobs, backend=args.backend, scheduler=args.scheduler,
                  run_dir=run_dir, resume=args.resume, verbose=0 if args.quiet else 1, data=config["data"])
    networks = " + ".join(presets.member_presets(plan))
    print(f"ensemble {args.preset}: round 1, {plan['models']} x {networks} on {len(y)} rows", flush=True)
    members = ensemble.train_members(comp.X, y, comp.X_test, plan, args.seed, 1, **common)
    test_proba = ensemble.average([m.test_proba for m in members])
    report = {"round_1": describe(members, test_proba, classes, comp)}
    if plan["pseudo_label"]:
        rows, labels = ensemble.pseudo_labels(test_proba, plan["pseudo_label"])
        print(f"round 2: {len(rows)} test rows pseudo-labelled (probability >= {plan['pseudo_label']}), "
              f"{plan['models']} x {networks} on {len(y) + len(rows)} rows", flush=True)
        if not len(rows):
            print(f"note: no test row reaches probability {plan['pseudo_label']}; round 2 trains on the training "
                  f"rows alone (label-smoothed members aim at 1 - smoothing * 9/10)", flush=True)
        X2, y2 = np.concatenate([comp.X, comp.X_test[rows]]), np.concatenate([y, labels])
        second = ensemble.train_members(X2, y2, comp.X_test, plan, args.seed, 2, **common)
        test_proba = ensemble.average([m.test_proba for m in second])
        report["round_2"] = {**describe(second, test_proba, classes, comp), "pseudo_labelled_rows": int(len(rows))}
    labels = classes[test_proba.argmax(axis=1)]
    write_submission(sub_path, labels, force=True)
    scored = score(labels, comp.solution) if comp.solution is not None else None
    seconds = time.perf_counter() - started
    with atomic_path(run_dir / runs.PROBABILITIES_NPZ) as tmp, open(tmp, "wb") as f:
        np.savez(f, test=test_proba, classes=classes)
    write_json(run_dir / runs.METRICS_JSON, {**report, "submission": str(sub_path), "submission_score": scored,
                                             "seconds": seconds})
    print(f"wrote the ensemble's submission {sub_path} ({len(labels)} rows) in {seconds / 60:.1f} min")
    if scored:
        print(f"scored against the solution in {comp.folder}: accuracy {scored['accuracy']:.5f}")


def describe(members, test_proba, classes, comp):
    """Per member and for their average: the held-out accuracy, where a solution exists."""
    out = {"members": [{"preset": m.preset, "seed": m.seed, "epochs": m.epochs, "seconds": m.seconds}
                       for m in members]}
    if comp.solution is not None:
        truth = comp.solution.labels
        for entry, m in zip(out["members"], members):
            entry["held_out_accuracy"] = float(np.mean(classes[m.test_proba.argmax(axis=1)] == truth))
        out["held_out_accuracy"] = float(np.mean(classes[test_proba.argmax(axis=1)] == truth))
        print("  held out: members " + " ".join(f"{e['held_out_accuracy']:.4f}" for e in out["members"])
              + f"; their average {out['held_out_accuracy']:.4f}", flush=True)
    return out


def combine(args):
    weights = None
    if args.weights:
        try:
            weights = [float(w) for w in args.weights.split(",")]
        except ValueError:
            raise KaggleMnistError(f"--weights {args.weights!r}: expected numbers separated by commas") from None
        if len(weights) != len(args.combine):
            raise KaggleMnistError(f"--weights: {len(weights)} weights for {len(args.combine)} folders")
        ensemble.check_weights(weights, len(args.combine))  # before any model predicts
    if args.submission is None:
        raise KaggleMnistError("--combine needs --submission FILE")
    check_writable(args.submission, args.force)
    comp = load_competition(data_dir(args), train=False)
    sources = ensemble.load_sources(args.combine, comp)
    test_proba = ensemble.average([s.test_proba for s in sources], weights)
    labels = np.asarray(sources[0].classes)[test_proba.argmax(axis=1)]
    write_submission(args.submission, labels, force=args.force)
    print(f"averaged {len(sources)} ({', '.join(s.kind for s in sources)}); wrote {args.submission}")
    if comp.solution is not None:
        print(f"scored against the solution in {comp.folder}: accuracy {score(labels, comp.solution)['accuracy']:.5f}")
    return 0

