"""Check a submission file as Kaggle does (kaggle-mnist validate).

    python scripts/validate_submission.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("validate"))
