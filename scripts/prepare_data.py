"""Put Kaggle-format competition files in a data folder (kaggle-mnist prepare).

    python scripts/prepare_data.py --help
"""

import sys

from kaggle_mnist.cli import script

if __name__ == "__main__":
    sys.exit(script("prepare"))
