"""Predict test.csv with a saved model and write a submission.

    python scripts/predict.py --model MODEL --data-dir DIR --out FILE [--force] [--batch-size 4096]
"""

import argparse
import sys
import time

import numpy as np

from kaggle_mnist import paths
from kaggle_mnist.cli import run
from kaggle_mnist.data import load_competition
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import check_writable
from kaggle_mnist.modelio import load_model
from kaggle_mnist.submission import score, write_submission


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="a model folder written by train.py")
    parser.add_argument("--data-dir", default=str(paths.DATA_DIR))
    parser.add_argument("--out", required=True, help="the submission CSV to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing submission")
    parser.add_argument("--batch-size", type=int, default=4096, help="test rows predicted at a time")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        raise KaggleMnistError("--batch-size must be at least 1")
    check_writable(args.out, args.force)
    model, meta = load_model(args.model)
    comp = load_competition(args.data_dir, train=False)
    X = comp.X_test
    start = time.perf_counter()
    labels = np.concatenate([model.predict(X[i:i + args.batch_size]) for i in range(0, len(X), args.batch_size)])
    write_submission(args.out, labels, force=args.force)
    print(f"predicted {len(X)} rows in {time.perf_counter() - start:.1f}s with {args.model} "
          f"(preset {meta.get('preset')}); wrote {args.out}")
    if comp.solution is not None:
        print(f"scored against the solution in {comp.folder}: accuracy {score(labels, comp.solution)['accuracy']:.4f}")


if __name__ == "__main__":
    sys.exit(run(main))
