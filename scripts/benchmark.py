"""Time kaggle-mnist against scikit-learn and PyTorch (kaggle-mnist benchmark).

    python scripts/benchmark.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("benchmark"))
