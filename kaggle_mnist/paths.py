"""Where things live: every file name and default folder, defined once.

Default folders are relative to the working folder (``kaggle-mnist --workdir``), never
to where the package is installed: run from any folder, the kit writes there. In a
Kaggle notebook, where the competition files are mounted read-only at
:data:`KAGGLE_INPUT`, the data folder defaults to that.
"""

from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent.parent  # a checkout's root: only for its git commit

KAGGLE_INPUT = Path("/kaggle/input/digit-recognizer")
DATA_DIR = Path("data")
SUBMISSIONS_DIR = Path("submissions")
RUNS_DIR = Path("runs")
MODELS_DIR = Path("models")

TRAIN_CSV = "train.csv"
TEST_CSV = "test.csv"
SAMPLE_SUBMISSION_CSV = "sample_submission.csv"
SOLUTION_CSV = "solution.csv"


def default_data_dir():
    """``data/`` in the working folder; in a Kaggle notebook, the mounted competition files."""
    if not DATA_DIR.exists() and (KAGGLE_INPUT / TRAIN_CSV).is_file():
        return KAGGLE_INPUT
    return DATA_DIR
