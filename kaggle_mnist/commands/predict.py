"""Predict test.csv with a saved model and write a submission."""

import time
from pathlib import Path

import numpy as np

from kaggle_mnist.commands.options import add_data_dir, at_least, data_dir
from kaggle_mnist.data import load_competition
from kaggle_mnist.fileio import check_writable
from kaggle_mnist.modelio import MODEL_JSON, check_digit_classes, check_features, load_model
from kaggle_mnist.submission import score, write_submission

HELP = "predict test.csv with a saved model and write a submission"


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="a model folder written by train")
    add_data_dir(parser)
    parser.add_argument("--out", required=True, help="the submission CSV to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing submission")
    parser.add_argument("--batch-size", type=at_least(1), default=4096, help="test rows predicted at a time")


def main(args):
    check_writable(args.out, args.force)
    model, meta = load_model(args.model)
    check_digit_classes(meta["classes"], Path(args.model) / MODEL_JSON)
    comp = load_competition(data_dir(args), train=False)
    X = comp.X_test
    check_features(meta, X, args.model)
    print(f"predicting {len(X)} rows with {args.model} (preset {meta.get('preset')})", flush=True)
    start = time.perf_counter()
    labels = np.concatenate([model.predict(X[i:i + args.batch_size]) for i in range(0, len(X), args.batch_size)])
    write_submission(args.out, labels, force=args.force)
    print(f"predicted in {time.perf_counter() - start:.1f}s; wrote {args.out}")
    if comp.solution is not None:
        print(f"scored against the solution in {comp.folder}: accuracy {score(labels, comp.solution)['accuracy']:.4f}")
