"""Run folders: refusing other runs, resuming the same one, results written whole."""

import json

import numpy as np
import pytest

from kaggle_mnist import runs
from kaggle_mnist.runs import FoldResult
from kaggle_mnist.errors import KaggleMnistError

CONFIG = {"preset": "fast", "parameters": {"hidden_layer_sizes": (8,)}, "seed": 0, "folds": 3, "holdout": None,
          "n_jobs": 1}


def test_start_writes_config_and_refuses_a_second_run(tmp_path):
    run = tmp_path / "run"
    runs.start(run, CONFIG)
    assert json.loads((run / runs.CONFIG_JSON).read_text())["parameters"] == {"hidden_layer_sizes": [8]}
    with pytest.raises(KaggleMnistError, match="already holds a run"):
        runs.start(run, CONFIG)
    runs.start(run, {**CONFIG, "n_jobs": 2}, resume=True)  # how it is run may change
    with pytest.raises(KaggleMnistError, match="other settings"):
        runs.start(run, {**CONFIG, "seed": 1}, resume=True)
    assert json.loads((run / runs.CONFIG_JSON).read_text())["n_jobs"] == 2


def test_force_drops_the_old_folds_and_resume_keeps_them(tmp_path):
    run = tmp_path / "run"
    runs.start(run, CONFIG)
    (run / runs.FOLDS_DIR / "fold-1").mkdir(parents=True)
    runs.start(run, CONFIG, resume=True, force=True)
    assert (run / runs.FOLDS_DIR / "fold-1").exists()
    for leftover in ("round-1", runs.PROBABILITIES_NPZ, runs.METRICS_JSON):  # an older run's everything
        (run / leftover).mkdir() if leftover.startswith("round") else (run / leftover).write_text("old")
    runs.start(run, CONFIG, force=True)
    assert sorted(p.name for p in run.iterdir()) == [runs.CONFIG_JSON]


def test_resume_with_force_starts_afresh_only_a_run_of_other_settings(tmp_path):
    """As scripts/main.sh runs it: the same settings keep the folds, others empty the
    folder and write the new settings."""
    run = tmp_path / "run"
    runs.start(run, CONFIG)
    (run / runs.FOLDS_DIR / "fold-1").mkdir(parents=True)
    runs.start(run, CONFIG, resume=True, force=True)
    assert (run / runs.FOLDS_DIR / "fold-1").exists()
    runs.start(run, {**CONFIG, "seed": 1}, resume=True, force=True)
    assert sorted(p.name for p in run.iterdir()) == [runs.CONFIG_JSON]
    assert json.loads((run / runs.CONFIG_JSON).read_text())["seed"] == 1


def test_a_run_on_other_data_is_not_resumed(tmp_path):
    run = tmp_path / "run"
    runs.start(run, {**CONFIG, "data": {"train_sha256": "a"}})
    (run / runs.FOLDS_DIR / "fold-1").mkdir(parents=True)
    with pytest.raises(KaggleMnistError, match="other settings"):
        runs.start(run, {**CONFIG, "data": {"train_sha256": "b"}}, resume=True)
    runs.start(run, {**CONFIG, "data": {"train_sha256": "b"}}, resume=True, force=True)  # starts afresh
    assert sorted(p.name for p in run.iterdir()) == [runs.CONFIG_JSON]


def test_force_empties_only_a_run_folder(tmp_path, monkeypatch):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    for resume in (False, True):
        with pytest.raises(KaggleMnistError, match="holds files but no config.json"):
            runs.start(mine, CONFIG, resume=resume, force=True)
    assert (mine / "notes.txt").read_text() == "mine"
    monkeypatch.chdir(mine)
    with pytest.raises(KaggleMnistError, match="holds the working folder"):
        runs.start(tmp_path, CONFIG, force=True)
    runs.start(tmp_path / "empty", CONFIG, force=True)  # a new or empty folder is fine
    assert (tmp_path / "empty" / runs.CONFIG_JSON).exists()


def test_a_file_where_the_run_folder_should_be(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(KaggleMnistError, match="not a folder"):
        runs.check_can_start(tmp_path / "run")


def fold(k):
    rng = np.random.default_rng(k)
    return FoldResult(k, np.arange(k * 3, k * 3 + 3), rng.random((3, 10)), rng.random((4, 10)),
                      {"accuracy": 0.5 + k / 10}, {"loss": [1.0]})


def test_saved_folds_load_back_and_a_damaged_one_is_named(tmp_path, monkeypatch):
    import kaggle_mnist.modelio as modelio

    monkeypatch.setattr(modelio, "save_model", lambda model, path, **kw: path.mkdir())
    for k in (0, 2):
        runs.save_fold(tmp_path, fold(k), model=None, preset="fast")
    done = runs.load_completed_folds(tmp_path)
    assert sorted(done) == [0, 2]
    np.testing.assert_array_equal(done[2].test_proba, fold(2).test_proba)
    assert done[2].metrics == {"accuracy": 0.7}
    (runs.fold_dir(tmp_path, 2) / "fold.json").write_text("{")
    with pytest.raises(KaggleMnistError, match="fold-3: cannot resume"):
        runs.load_completed_folds(tmp_path)


def test_a_copy_of_a_fold_is_not_a_fold_and_a_moved_fold_is_named(tmp_path, monkeypatch):
    import shutil

    import kaggle_mnist.modelio as modelio

    monkeypatch.setattr(modelio, "save_model", lambda model, path, **kw: path.mkdir())
    older = fold(0)
    older.test_proba = older.test_proba / 2
    runs.save_fold(tmp_path, older, model=None, preset="fast")
    shutil.copytree(runs.fold_dir(tmp_path, 0), runs.fold_dir(tmp_path, 0).with_name("fold-1.bak"))
    runs.save_fold(tmp_path, fold(0), model=None, preset="fast")  # fold 1 trained again
    runs.save_fold(tmp_path, fold(1), model=None, preset="fast")
    (tmp_path / "folds" / "fold-01").mkdir()  # not a fold's name either
    done = runs.load_completed_folds(tmp_path)
    assert sorted(done) == [0, 1]
    np.testing.assert_array_equal(done[0].test_proba, fold(0).test_proba)  # not the older copy's
    shutil.rmtree(runs.fold_dir(tmp_path, 0))
    runs.fold_dir(tmp_path, 1).rename(runs.fold_dir(tmp_path, 0))  # fold 2's files in fold-1
    with pytest.raises(KaggleMnistError, match=r"fold-1: cannot resume from this fold \(fold.json is fold 2's\)"):
        runs.load_completed_folds(tmp_path)


def test_a_file_named_like_a_fold_is_named_before_any_training(tmp_path):
    (tmp_path / "folds").mkdir()
    (tmp_path / "folds" / "fold-2").write_text("")
    with pytest.raises(KaggleMnistError, match="fold-2: cannot resume from this fold"):
        runs.load_completed_folds(tmp_path)


def test_save_results_writes_probabilities_and_metrics(tmp_path):
    result = {"folds": [fold(0)], "oof_proba": np.full((3, 10), 0.1), "test_proba": np.full((4, 10), 0.1),
              "oof_accuracy": 0.9}
    metrics = runs.save_results(tmp_path, result, classes=np.arange(10), extra_metrics={"submission_score": None})
    assert metrics["folds"] == [{"fold": 1, "accuracy": 0.5}] and "oof_proba" not in metrics
    assert json.loads((tmp_path / runs.METRICS_JSON).read_text()) == metrics
    with np.load(tmp_path / runs.PROBABILITIES_NPZ, allow_pickle=False) as p:
        assert p["test"].shape == (4, 10) and list(p["classes"]) == list(range(10))
    assert sorted(f.name for f in tmp_path.iterdir()) == [runs.METRICS_JSON, runs.PROBABILITIES_NPZ]  # no temporaries
