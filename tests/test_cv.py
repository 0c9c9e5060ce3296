"""Cross-validation end to end on a small learnable Kaggle-format folder."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, blob_digits
from kaggle_mnist import cv, seeds
from kaggle_mnist.submission import find_problems

SCRIPT = ROOT / "scripts" / "cross_validate.py"


def cross_validate(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True)


def test_folds_are_stratified_disjoint_and_cover_every_row():
    _, y = blob_digits(300)
    splits = cv.split(y, 5, seed=0)
    val = np.concatenate([v for _, v in splits])
    assert sorted(val.tolist()) == list(range(300))  # every row scored exactly once
    for train, v in splits:
        assert not set(train) & set(v)
        assert np.bincount(y[v]).tolist() == [6] * 10  # 30 of each class / 5 folds
    assert len(set(seeds.child_seeds(0, 5))) == 5 and seeds.child_seeds(0, 5) == seeds.child_seeds(0, 5)


def test_cross_validate_script_end_to_end(tmp_path, kaggle_dir):
    run, sub = tmp_path / "run", tmp_path / "sub.csv"
    out = cross_validate("--data-dir", kaggle_dir, "--preset", "fast", "--folds", "3", "--out", run,
                         "--submission", sub, "--quiet")
    assert out.returncode == 0, out.stderr
    assert find_problems(sub, n_rows=200) == []
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["folds"]) == 3 and metrics["oof_accuracy"] > 0.95
    assert {"oof_accuracy", "mean_accuracy", "std_accuracy"} <= metrics.keys()
    assert metrics["submission_score"]["accuracy"] > 0.95 and "scored against" in out.stdout
    with np.load(run / "probabilities.npz", allow_pickle=False) as p:
        assert p["oof"].shape == (600, 10) and not np.isnan(p["oof"]).any()  # each row predicted once
        np.testing.assert_allclose(p["test"].sum(axis=1), 1)
    config = json.loads((run / "config.json").read_text())
    assert config["preset"] == "fast" and config["seed"] == 0 and config["version"]
    assert (run / "report.md").read_text().startswith("# Cross-validation of preset `fast`")
    assert (run / "confusion_matrix.png").exists() and (run / "learning_curves.png").exists()
    assert all((run / "folds" / f"fold-{k}" / "model" / "weights.npz").exists() for k in (1, 2, 3))

    # The same command again: refused without --resume/--force, nothing lost.
    again = cross_validate("--data-dir", kaggle_dir, "--preset", "fast", "--folds", "3", "--out", run,
                           "--submission", sub, "--quiet")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert find_problems(sub, n_rows=200) == []


def test_resume_trains_only_missing_folds_and_gives_the_same_result(tmp_path, kaggle_dir):
    run, sub = tmp_path / "run", tmp_path / "sub.csv"
    args = ["--data-dir", kaggle_dir, "--preset", "fast", "--folds", "3", "--out", run, "--submission", sub, "--quiet"]
    assert cross_validate(*args).returncode == 0
    first = pd.read_csv(sub)
    before = (run / "folds" / "fold-1" / "fold.json").stat().st_mtime_ns
    import shutil

    shutil.rmtree(run / "folds" / "fold-2")  # as if interrupted during fold 2
    out = cross_validate(*args, "--resume")
    assert out.returncode == 0, out.stderr
    assert "folds 1, 3 already done; training 2" in out.stdout
    assert (run / "folds" / "fold-1" / "fold.json").stat().st_mtime_ns == before
    pd.testing.assert_frame_equal(pd.read_csv(sub), first)  # per-fold seeds: same result
    changed = cross_validate(*args, "--resume", "--seed", "1")
    assert changed.returncode == 2 and "other settings" in changed.stderr


def test_holdout_and_bad_flags(tmp_path, kaggle_dir):
    out = cross_validate("--data-dir", kaggle_dir, "--preset", "fast", "--holdout", "0.25", "--out", tmp_path / "h",
                         "--submission", tmp_path / "h.csv", "--quiet")
    assert out.returncode == 0, out.stderr
    metrics = json.loads((tmp_path / "h" / "metrics.json").read_text())
    assert len(metrics["folds"]) == 1 and metrics["n_scored"] == 150
    for bad, message in [(["--folds", "1"], "argument --folds: '1' is below 2"), (["--set", "dropout=2"], "dropout must be"),
                         (["--set", "colour=red"], "expected NAME=VALUE"), (["--data-dir", tmp_path / "none"], "no such data folder")]:
        res = cross_validate("--preset", "fast", "--out", tmp_path / "x", "--submission", tmp_path / "x.csv", *bad)
        assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists() and not (tmp_path / "x.csv").exists()  # a refused run writes nothing


def test_n_jobs_gives_the_same_submission(tmp_path, kaggle_dir):
    subs = []
    for jobs in (1, 2):
        sub = tmp_path / f"sub{jobs}.csv"
        out = cross_validate("--data-dir", kaggle_dir, "--preset", "fast", "--folds", "2", "--n-jobs", jobs,
                             "--out", tmp_path / f"r{jobs}", "--submission", sub, "--quiet")
        assert out.returncode == 0, out.stderr
        subs.append(pd.read_csv(sub))
    pd.testing.assert_frame_equal(*subs)


def test_dask_backend_on_a_local_cluster(kaggle_dir):
    distributed = pytest.importorskip("dask.distributed")
    from kaggle_mnist.data import load_test, load_train

    X, y = load_train(kaggle_dir / "train.csv")
    X_test = load_test(kaggle_dir / "test.csv")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                  dashboard_address=None) as cluster:
        result = cv.cross_validate(X, y, X_test, "fast", {"max_iter": 2}, n_folds=2, seed=0, n_jobs=2,
                                   backend="dask", scheduler=cluster.scheduler_address, verbose=0, log=lambda *a: None)
    local = cv.cross_validate(X, y, X_test, "fast", {"max_iter": 2}, n_folds=2, seed=0, verbose=0,
                              log=lambda *a: None)
    assert result["oof_accuracy"] > 0.9
    np.testing.assert_allclose(result["test_proba"], local["test_proba"], rtol=1e-5, atol=1e-6)
