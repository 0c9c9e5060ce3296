"""Train one model on all of train.csv and save it (.npz weights + JSON).

    python scripts/train.py --data-dir DIR --preset NAME [--seed 0] --out MODEL [--force] [--set NAME=VALUE ...]
"""

import argparse
import sys
import time
from pathlib import Path

from kaggle_mnist import paths, presets
from kaggle_mnist.cli import git_commit, parse_overrides, run
from kaggle_mnist.data import load_competition
from kaggle_mnist.fileio import check_writable
from kaggle_mnist.modelio import save_model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(paths.DATA_DIR))
    parser.add_argument("--preset", default=presets.DEFAULT, choices=list(presets.PRESETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="model folder (default: models/PRESET-seedSEED)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing model folder")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a preset parameter")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    overrides = parse_overrides(args.set)
    out = Path(args.out or paths.MODELS_DIR / f"{args.preset}-seed{args.seed}")
    check_writable(out, args.force)
    model = presets.build(args.preset, **overrides, random_state=args.seed, verbose=0 if args.quiet else 1)
    comp = load_competition(args.data_dir, test=False, solution=False)
    print(f"training preset {args.preset} on {len(comp.y)} rows", flush=True)
    start = time.perf_counter()
    model.fit(comp.X, comp.y)
    seconds = time.perf_counter() - start
    net = model[-1]
    save_model(model, out, preset=args.preset, force=args.force,
               extra={"seed": args.seed, "train_seconds": seconds, "git_commit": git_commit()})
    note = " (interrupted: saved the model trained so far)" if net.interrupted_ else ""
    print(f"trained {net.n_iter_} epochs in {seconds:.0f}s; saved {out}{note}")


if __name__ == "__main__":
    sys.exit(run(main))
