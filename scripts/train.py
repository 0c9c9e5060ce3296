"""Train one model on all of train.csv and save it (kaggle-mnist train).

    python scripts/train.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("train"))
