"""Predict test.csv with a saved model and write a submission (kaggle-mnist predict).

    python scripts/predict.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("predict"))
