"""Train one model on all of train.csv and save it (.npz weights + JSON)."""

import time
from pathlib import Path

from kaggle_mnist import paths, presets
from kaggle_mnist.commands.options import add_data_dir, data_dir, git_commit, parse_overrides, seed
from kaggle_mnist.data import check_labels, fit_or_explain, load_competition
from kaggle_mnist.fileio import check_replaceable, check_writable
from kaggle_mnist.modelio import MODEL_JSON, save_model
from kaggle_mnist.report import LEARNING_CURVES_PNG, learning_curves

HELP = "train one model on all of train.csv and save it"


def add_arguments(parser):
    add_data_dir(parser)
    parser.add_argument("--preset", default=presets.DEFAULT, choices=list(presets.PRESETS),
                        help="the network and training settings (see README's table)")
    parser.add_argument("--seed", type=seed, default=0, help="seeds the weights, shuffling, augmentation, dropout")
    parser.add_argument("--out", help="model folder (default: models/PRESET-seedSEED)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing model folder")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE",
                        help="override a preset parameter (JSON value), e.g. --set max_iter=5")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")


def main(args):
    overrides = parse_overrides(args.set)
    out = paths.MODELS_DIR / f"{args.preset}-seed{args.seed}" if args.out is None else Path(args.out)
    check_writable(out, args.force, folder=True)
    check_replaceable(out, MODEL_JSON)
    model = presets.build(args.preset, **overrides, random_state=args.seed, verbose=0 if args.quiet else 1)
    comp = load_competition(data_dir(args), test=False, solution=False)
    check_labels(comp.y, comp.folder / paths.TRAIN_CSV)
    signature = comp.signature()
    print(f"training preset {args.preset} on {len(comp.y)} rows", flush=True)
    start = time.perf_counter()
    fit_or_explain(model, comp.X, comp.y, comp.folder / paths.TRAIN_CSV)
    seconds = time.perf_counter() - start
    net = model[-1]
    save_model(model, out, preset=args.preset, force=args.force,
               extra={"seed": args.seed, "train_seconds": seconds, "git_commit": git_commit(), "data": signature})
    note = " (interrupted: saved the model trained so far)" if net.interrupted_ else ""
    print(f"trained {net.n_iter_} epochs in {seconds:.0f}s; saved {out}{note}")
    figure = learning_curves([("", net.history_.to_dict())], out / LEARNING_CURVES_PNG)
    if figure:
        print(f"learning curves: {figure}")
