"""``python -m kaggle_mnist``: the same as the ``kaggle-mnist`` command."""

import sys

from kaggle_mnist.cli import main

sys.exit(main())
