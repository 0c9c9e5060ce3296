"""Cross-validate a preset and write the fold-ensemble submission (kaggle-mnist cv).

    python scripts/cross_validate.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("cv"))
