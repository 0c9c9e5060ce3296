"""Ensembles: members on all rows, resumable and the same whatever the scheduling;
pseudo-labels from test pixels only; combining runs and models trained on the same data."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from kaggle_mnist import ensemble
from kaggle_mnist.errors import KaggleMnistError


def km(cwd, *args):
    return subprocess.run([sys.executable, "-m", "kaggle_mnist", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


ENSEMBLE = ["ensemble", "--preset", "fast", "--models", "2", "--set", "max_iter=2", "--quiet"]


def test_members_resume_and_parallel_give_the_same_submission(tmp_path, kaggle_dir):
    one = km(tmp_path, *ENSEMBLE, "--data-dir", kaggle_dir, "--out", "e1", "--submission", "e1.csv")
    assert one.returncode == 0, one.stderr
    assert "held out: members" in one.stdout and (tmp_path / "e1/round-1/member-2/model/model.json").exists()
    shutil.rmtree(tmp_path / "e1/round-1/member-1")  # as if interrupted before member 1 finished
    again = km(tmp_path, *ENSEMBLE, "--data-dir", kaggle_dir, "--out", "e1", "--submission", "e1.csv", "--resume")
    assert again.returncode == 0 and "members 2 already done" in again.stdout, again.stderr
    parallel = km(tmp_path, *ENSEMBLE, "--data-dir", kaggle_dir, "--out", "e2", "--submission", "e2.csv",
                  "--n-jobs", "2")
    assert parallel.returncode == 0, parallel.stderr
    assert (tmp_path / "e1.csv").read_bytes() == (tmp_path / "e2.csv").read_bytes()
    metrics = json.loads((tmp_path / "e1/metrics.json").read_text())
    assert len(metrics["round_1"]["members"]) == 2 and metrics["submission_score"]["accuracy"] > 0.8


def test_pseudo_labels_use_test_pixels_never_their_labels(tmp_path, kaggle_dir):
    blind = tmp_path / "blind"
    shutil.copytree(kaggle_dir, blind)
    (blind / "solution.csv").unlink()
    outs = []
    for folder in (kaggle_dir, blind):
        out = km(tmp_path, *ENSEMBLE, "--pseudo-label", "0.9", "--data-dir", folder, "--out", f"p-{folder.name}",
                 "--submission", f"p-{folder.name}.csv")
        assert out.returncode == 0, out.stderr
        assert "test rows pseudo-labelled" in out.stdout
        outs.append((tmp_path / f"p-{folder.name}.csv").read_bytes())
    assert outs[0] == outs[1]  # with or without the solution file: the same submission


def test_a_threshold_no_row_reaches_is_said_not_silent(tmp_path, kaggle_dir):
    """Label smoothing 0.2 aims at 0.82 for the right class: a threshold of 0.99 selects
    no test row, and the command says so (the top preset once ran a whole round so)."""
    out = km(tmp_path, *ENSEMBLE, "--set", "label_smoothing=0.2", "--pseudo-label", "0.99", "--data-dir",
             kaggle_dir, "--out", "none", "--submission", "none.csv")
    assert out.returncode == 0, out.stderr
    assert "round 2: 0 test rows pseudo-labelled" in out.stdout and "note: no test row reaches" in out.stdout


def test_pseudo_labels_pick_the_confident_rows():
    proba = np.array([[0.999, 0.001], [0.6, 0.4], [0.002, 0.998]])
    rows, labels = ensemble.pseudo_labels(proba, 0.995)
    assert rows.tolist() == [0, 2] and labels.tolist() == [0, 1]


def test_average_weights():
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    np.testing.assert_allclose(ensemble.average([a, b], [3, 1]), [[0.75, 0.25]])
    for bad in ([1, -1], [float("nan"), 1], [float("inf"), 1], [0, 0]):
        with pytest.raises(KaggleMnistError, match="weights"):
            ensemble.average([a, b], bad)


def test_combine_runs_and_models_trained_on_the_same_data(tmp_path, kaggle_dir):
    assert km(tmp_path, "cv", "--data-dir", kaggle_dir, "--preset", "fast", "--folds", "2", "--set", "max_iter=2",
              "--out", "cv", "--submission", "cv.csv", "--quiet").returncode == 0
    assert km(tmp_path, "train", "--data-dir", kaggle_dir, "--preset", "fast", "--set", "max_iter=2", "--out", "m",
              "--quiet").returncode == 0
    out = km(tmp_path, "ensemble", "--data-dir", kaggle_dir, "--combine", "cv", "m", "cv/folds/fold-1/model",
             "--weights", "2,1,1", "--submission", "both.csv")
    assert out.returncode == 0, out.stderr
    assert "averaged 3 (run, model, model)" in out.stdout and len(pd.read_csv(tmp_path / "both.csv")) == 200
    other = tmp_path / "other"  # the same test rows, other training rows
    shutil.copytree(kaggle_dir, other)
    lines = (other / "train.csv").read_text().splitlines()
    (other / "train.csv").write_text("\n".join(lines[:-1]) + "\n")
    out = km(tmp_path, "ensemble", "--data-dir", other, "--combine", "cv", "--submission", "x.csv")
    assert out.returncode == 2 and "was trained on other data" in out.stderr and not (tmp_path / "x.csv").exists()
    out = km(tmp_path, "ensemble", "--data-dir", kaggle_dir, "--combine", "cv", "nowhere", "--submission", "x.csv")
    assert out.returncode == 2 and "nowhere: neither a finished run" in out.stderr


def test_an_ensemble_of_several_presets_takes_them_in_turn(tmp_path):
    """Member i trains preset i mod 2 (its network too, not only the name); resuming with
    another preset for a saved member is refused."""
    from conftest import blob_digits

    X, y = blob_digits(60)
    plan = {"member": ("fast", "seed-3layer"), "models": 3, "pseudo_label": None}
    members = ensemble.train_members(X, y, X[:10], plan, seed=0, overrides={"max_iter": 1}, run_dir=tmp_path,
                                     verbose=0, log=lambda *a: None)
    assert [m.preset for m in members] == ["fast", "seed-3layer", "fast"]
    saved = json.loads((tmp_path / "round-1/member-2/model/model.json").read_text())
    assert saved["preset"] == "seed-3layer"
    assert saved["params"]["hidden_layer_sizes"] == [64, 64] and saved["params"]["activation"] == "sigmoid"
    first = json.loads((tmp_path / "round-1/member-1/model/model.json").read_text())
    assert first["params"]["hidden_layer_sizes"] == [128] and first["params"]["activation"] == "relu"
    swapped = {**plan, "member": ("seed-3layer", "fast")}
    with pytest.raises(KaggleMnistError, match="member-1: trained fast, this run's member 1 is seed-3layer"):
        ensemble.train_members(X, y, X[:10], swapped, seed=0, overrides={"max_iter": 1}, run_dir=tmp_path,
                               resume=True, verbose=0, log=lambda *a: None)


def test_a_copy_of_a_member_is_not_a_member_and_a_moved_member_is_named(tmp_path, monkeypatch):
    import kaggle_mnist.modelio as modelio

    monkeypatch.setattr(modelio, "save_model", lambda model, path, **kw: path.mkdir())
    rng = np.random.default_rng(0)
    members = [ensemble.Member(1, i, "fast", 100 + i, rng.random((4, 10)), 1.0, 2) for i in range(2)]
    for member in members:
        ensemble.save_member(tmp_path, member, model=None)
    shutil.copytree(ensemble.member_dir(tmp_path, 1, 1), tmp_path / "round-1" / "member-1.bak")
    assert [m.seed for m in ensemble.load_members(tmp_path, 1).values()] == [100, 101]
    shutil.rmtree(ensemble.member_dir(tmp_path, 1, 0))
    ensemble.member_dir(tmp_path, 1, 1).rename(ensemble.member_dir(tmp_path, 1, 0))
    with pytest.raises(KaggleMnistError, match=r"member-1: cannot resume from this member \(member.json is member 2's"):
        ensemble.load_members(tmp_path, 1)
