"""Where things live, built from this file's location so scripts work from any folder."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SUBMISSIONS_DIR = ROOT / "submissions"
RUNS_DIR = ROOT / "runs"
MODELS_DIR = ROOT / "models"

TRAIN_CSV = "train.csv"
TEST_CSV = "test.csv"
SAMPLE_SUBMISSION_CSV = "sample_submission.csv"
SOLUTION_CSV = "solution.csv"
