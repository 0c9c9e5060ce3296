"""Validate a submission and submit it with the kaggle CLI (kaggle-mnist submit).

    python scripts/submit.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("submit"))
