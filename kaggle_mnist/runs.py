"""A cross-validation run folder, and everything written into it.

    RUN/
      config.json          preset, parameters, seed, folds, data folder, version, commit
      folds/fold-K/        one finished fold: model/, predictions.npz, fold.json
      probabilities.npz    out-of-fold and test probabilities, and the classes
      metrics.json         per-fold and out-of-fold scores; the submission's score
      report.md, *.png     the report (report.py)

A fold is saved the moment it finishes, so an interrupted run resumes with only the
missing folds (``resume``), and only if it is the same run: the settings in
:data:`SETTINGS` must match. Every file is written atomically (fileio.py): a crash
leaves the previous version or the new one, never half of one.
"""

import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kaggle_mnist import interrupts
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import atomic_dir, atomic_path, check_replaceable, write_json

CONFIG_JSON = "config.json"
METRICS_JSON = "metrics.json"
PROBABILITIES_NPZ = "probabilities.npz"
FOLDS_DIR = "folds"
SETTINGS = ("preset", "parameters", "seed", "folds", "holdout")  # what --resume must find unchanged


def check_can_start(run_dir, resume=False, force=False):
    """Refuse a folder that holds another run, before anything is written or trained."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise KaggleMnistError(f"{run_dir}: exists and is not a folder")
    if run_dir.is_dir() and force:
        check_replaceable(run_dir, CONFIG_JSON)
    if run_dir.is_dir() and any(run_dir.iterdir()) and not (resume or force):
        raise KaggleMnistError(f"{run_dir} already holds a run (use --resume to continue it, --force to redo it)")


def outputs(name, out=None, submission=None, resume=False, force=False):
    """(run folder, submission file) of a run called ``name`` (by default runs/NAME and
    submissions/NAME.csv), both checked before any work."""
    from kaggle_mnist import paths
    from kaggle_mnist.fileio import check_writable

    run_dir = paths.RUNS_DIR / name if out is None else Path(out)
    sub_path = paths.SUBMISSIONS_DIR / f"{name}.csv" if submission is None else Path(submission)
    check_can_start(run_dir, resume, force)
    check_writable(sub_path, force or resume)
    return run_dir, sub_path


def same_settings(config_path, config):
    """Whether the run whose config.json is ``config_path`` was made with ``config``'s
    SETTINGS, on the same data (how it is run, such as ``n_jobs``, may differ)."""
    try:
        old = json.loads(config_path.read_text())
    except (OSError, ValueError, RecursionError) as e:
        raise KaggleMnistError(f"{config_path}: unreadable ({e}); delete the run folder to start afresh") from None
    as_json = json.loads(json.dumps(config))  # tuples become lists, as in the file
    same_data = old.get("data") is None or as_json.get("data") == old.get("data") if isinstance(old, dict) else False
    return isinstance(old, dict) and same_data and all(as_json[k] == old.get(k) for k in SETTINGS)


def start(run_dir, config, resume=False, force=False):
    """Make ``run_dir`` ready for a run with ``config`` and write its config.json.

    ``resume``: keep the folds (or members) already there, if the run's settings match;
    ``force``: empty the folder first, so nothing of an older run survives beside the
    new one; with ``resume`` too, only if the older run was made with other settings.
    """
    run_dir = Path(run_dir)
    check_can_start(run_dir, resume, force)
    config_path = run_dir / CONFIG_JSON
    if resume and config_path.exists() and not same_settings(config_path, config):
        if not force:
            raise KaggleMnistError(f"{run_dir} was made with other settings; --resume needs the same preset, "
                                   "parameters, seed and folds (--force as well: start afresh)")
        resume = False  # the older run's folds were trained for other settings
    if force and not resume and run_dir.is_dir():
        with interrupts.held():  # moved aside whole, so a Ctrl-C never leaves half a run
            old = run_dir.with_name(f".{run_dir.name}.old-{os.getpid()}")
            os.replace(run_dir, old)
        shutil.rmtree(old)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(config_path, config)


# ------------------------------------------------------------------ folds
@dataclass
class FoldResult:
    fold: int  # 0-based
    val_index: np.ndarray  # (n_val,) rows of train.csv this fold scored
    val_proba: np.ndarray  # (n_val, n_classes)
    test_proba: np.ndarray  # (n_test, n_classes)
    metrics: dict  # accuracy, log_loss, confusion_matrix, seconds, epochs
    history: dict


def fold_dir(run_dir, fold):
    return Path(run_dir) / FOLDS_DIR / f"fold-{fold + 1}"


def save_fold(run_dir, result, model, preset, data=None):
    """Save a finished fold (model, probabilities, metrics) atomically; ``data``: the
    signature of the data it was trained on (kept in its model.json)."""
    from kaggle_mnist.modelio import save_model

    path = fold_dir(run_dir, result.fold)
    with atomic_dir(path, force=True) as tmp:
        save_model(model, tmp / "model", preset=preset, force=True, extra={"data": data})
        np.savez(tmp / "predictions.npz", val_index=result.val_index, val_proba=result.val_proba,
                 test_proba=result.test_proba)
        write_json(tmp / "fold.json", {"fold": result.fold, "metrics": result.metrics, "history": result.history})


def numbered_folders(parent, prefix):
    """[(K, path)] of the entries named PREFIX-K (K = 1, 2, ...) in ``parent``, sorted by
    K (so fold-10 comes after fold-9). Anything else there, such as a copy named
    fold-1.bak, is not one of them; an entry of the right name that is not a folder is,
    so that reading it fails, and says so, before any training."""
    found = []
    for path in Path(parent).glob(f"{prefix}-*"):
        number = path.name[len(prefix) + 1:]
        if re.fullmatch(r"[1-9][0-9]*", number):
            found.append((int(number), path))
    return sorted(found)


def load_completed_folds(run_dir):
    """{fold: FoldResult} for every fold folder that was completely written. Folder
    fold-K holds fold K - 1: folds count from 0 in the code, from 1 in file names."""

    done = {}
    for number, path in numbered_folders(Path(run_dir) / FOLDS_DIR, "fold"):
        try:
            meta = json.loads((path / "fold.json").read_text())
            with np.load(path / "predictions.npz", allow_pickle=False) as p:
                result = FoldResult(meta["fold"], p["val_index"], p["val_proba"], p["test_proba"],
                                    meta["metrics"], meta["history"])
            check_fold(result)
            if result.fold != number - 1:
                raise ValueError(f"fold.json is fold {result.fold + 1}'s")
        except (OSError, ValueError, KeyError, TypeError, RecursionError, EOFError, zipfile.BadZipFile) as e:
            raise KaggleMnistError(f"{path}: cannot resume from this fold ({e}); delete it to retrain it") from None
        done[result.fold] = result
    return done


def check_fold(result):
    """ValueError unless a fold read back from disk has the types and values it was saved with."""
    if not isinstance(result.fold, int) or isinstance(result.fold, bool) or not isinstance(result.metrics, dict):
        raise ValueError("fold.json: fold must be an integer and metrics an object")
    if result.val_index.ndim != 1 or result.val_index.dtype.kind not in "iu" or len(np.unique(result.val_index)) \
            != len(result.val_index) or (result.val_index < 0).any():
        raise ValueError("val_index must be distinct non-negative row numbers")
    check_probabilities(result.val_proba, "val_proba")
    check_probabilities(result.test_proba, "test_proba")
    if len(result.val_proba) != len(result.val_index):
        raise ValueError("val_proba and val_index differ in length")


def check_probabilities(proba, name, slack=1e-6):
    """ValueError unless ``proba`` is a 2-d array of finite floats in [0, 1] (give or take
    ``slack``: a weighted mean of probabilities can round to just above 1)."""
    if proba.ndim != 2 or proba.dtype.kind != "f" or not np.isfinite(proba).all() or (proba < -slack).any() \
            or (proba > 1 + slack).any():
        raise ValueError(f"{name} must be a 2-d array of probabilities, finite and in [0, 1]")


# ------------------------------------------------------------------ results
def save_results(run_dir, result, classes, extra_metrics=None):
    """Write probabilities.npz and metrics.json for a finished run; return the metrics.

    ``result``: what :func:`kaggle_mnist.cv.cross_validate` returns; ``classes``:
    (K,) the labels the probability columns stand for.
    """
    run_dir = Path(run_dir)
    metrics = {k: v for k, v in result.items() if k not in ("folds", "oof_proba", "test_proba")}
    metrics["folds"] = [{"fold": f.fold + 1, **f.metrics} for f in result["folds"]]
    metrics.update(extra_metrics or {})
    with atomic_path(run_dir / PROBABILITIES_NPZ) as tmp, open(tmp, "wb") as f:
        np.savez(f, oof=result["oof_proba"], test=result["test_proba"], classes=np.asarray(classes))
    write_json(run_dir / METRICS_JSON, metrics)
    return metrics
