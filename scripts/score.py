"""Score a submission against solution.csv (kaggle-mnist score).

    python scripts/score.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("score"))
