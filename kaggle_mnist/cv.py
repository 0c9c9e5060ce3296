"""Cross-validation: k stratified folds, out-of-fold predictions, the fold ensemble.

For each fold, a model is trained on the other folds (with early stopping on a slice
of *those* rows, never on the fold it is scored on) and predicts two things: the
class probabilities of its held-out fold, and those of the whole test set. Then:

- the held-out probabilities of all folds cover every training row exactly once:
  their accuracy (out-of-fold accuracy) is an honest estimate of the test score;
- averaging the folds' test probabilities (not their labels) gives the fold-ensemble
  prediction, a little better than any one fold's model.

Each fold gets its own seed (``seeds.child_seeds``), so the
results do not depend on how folds are scheduled: one after another, side by side
(``n_jobs``), or on a Dask cluster. A finished fold is saved at once, so an
interrupted run can resume with only the missing folds.
"""

import time
from functools import partial

import numpy as np

from kaggle_mnist import backends, presets, progress, runs, seeds
from kaggle_mnist.data import fit_or_explain
from kaggle_mnist.errors import KaggleMnistError


DEFAULT_FOLDS = 5


def check_settings(n_folds, holdout=None, backend="loky", scheduler=None, n_jobs=1):
    """Refuse impossible settings before any data is read: ranges, combinations, and a
    Dask scheduler that does not answer."""
    if n_jobs < 1:
        raise KaggleMnistError("--n-jobs must be at least 1")
    if holdout is None and n_folds < 2:
        raise KaggleMnistError(f"--folds must be at least 2, got {n_folds}")
    if holdout is not None and not 0 < holdout < 1:
        raise KaggleMnistError(f"--holdout must be a fraction between 0 and 1, got {holdout}")
    if backend not in ("loky", "dask"):
        raise KaggleMnistError(f"--backend must be loky or dask, got {backend!r}")
    if backend == "dask" and not scheduler:
        raise KaggleMnistError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if scheduler and backend != "dask":
        raise KaggleMnistError("--scheduler goes with --backend dask")
    if scheduler:
        backends.check_scheduler(scheduler)


def split(y, n_folds, seed, holdout=None):
    """[(train_index, val_index), ...]: stratified k folds, or one holdout split."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    if holdout is not None:
        n_val, n_classes = int(np.ceil(holdout * len(y))), len(np.unique(y))
        if min(n_val, len(y) - n_val) < n_classes:
            raise KaggleMnistError(f"--holdout {holdout} holds out {n_val} of {len(y)} rows; each side needs at "
                                   f"least one row of each of the {n_classes} classes")
        return list(StratifiedShuffleSplit(n_splits=1, test_size=holdout, random_state=seed).split(y, y))
    smallest = np.bincount(y).min() if len(y) else 0
    if smallest < n_folds:
        raise KaggleMnistError(f"--folds {n_folds} is more than the rarest class has rows ({smallest})")
    return list(StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(y, y))


def fold_metrics(y_true, proba, n_classes):
    from sklearn.metrics import accuracy_score, confusion_matrix, log_loss

    pred = proba.argmax(axis=1)
    labels = list(range(n_classes))
    return {
        "accuracy": float(accuracy_score(y_true, pred)),
        "log_loss": float(log_loss(y_true, proba, labels=labels)),
        "confusion_matrix": confusion_matrix(y_true, pred, labels=labels).tolist(),
    }


def run_fold(fold, n_folds, train_index, val_index, X, y, X_test, preset, params, seed, threads, verbose,
             place=(0, 1, None)):
    """Train and score one fold (runs in a worker). Returns (FoldResult, fitted model).

    ``place``: (position among the folds to train, how many, when the run started):
    the progress lines' estimate of the whole run.
    """
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    if verbose:
        print(f"fold {fold + 1}/{n_folds}: training on {len(train_index)} rows, scoring {len(val_index)}", flush=True)
    position, count, run_start = place
    with threadpool_limits(limits=threads), progress.whole_run(position, count, run_start or start):
        model = presets.build(preset, **{**params, "random_state": seed, "verbose": verbose})
        net = model[-1]
        fit_or_explain(model, X[train_index], y[train_index], "the training rows of this fold")
        val_proba = model.predict_proba(X[val_index])
        test_proba = model.predict_proba(X_test)
    if net.interrupted_:
        raise KeyboardInterrupt
    metrics = fold_metrics(y[val_index], val_proba, val_proba.shape[1])
    metrics.update(seconds=time.perf_counter() - start, epochs=net.n_iter_, best_epoch=net.history_.best_epoch)
    return runs.FoldResult(fold, val_index, val_proba, test_proba, metrics, net.history_.to_dict()), model


def cross_validate(X, y, X_test, preset, overrides=None, n_folds=DEFAULT_FOLDS, seed=0, n_jobs=1, backend="loky",
                   scheduler=None, run_dir=None, resume=False, holdout=None, verbose=1, log=print, data=None):
    """Cross-validate ``preset`` on (X, y) and predict ``X_test`` with every fold model.

    Args:
        X: (n, 784) uint8; y: (n,) ints 0..K-1; X_test: (m, 784) uint8.
        overrides: estimator parameters that replace the preset's.
        n_jobs: folds trained side by side (BLAS threads per worker = cores // n_jobs).
        backend: "loky" (processes on this machine) or "dask" (``scheduler`` address).
        run_dir: where completed folds are saved (and found again with ``resume``).
        data: the data's signature (``Competition.signature()``), saved with each fold's model.

    Returns:
        dict: folds (FoldResults in fold order), oof_proba (n, K), test_proba (m, K),
        and the summary metrics.
    """
    check_settings(n_folds, holdout, backend, scheduler, n_jobs)
    params = {"early_stopping": True, **presets.params(preset, **(overrides or {}))}
    splits = split(y, n_folds, seed, holdout)
    fold_seeds = seeds.child_seeds(seed, len(splits))
    done = runs.load_completed_folds(run_dir) if (resume and run_dir) else {}
    for k, result in done.items():
        if k not in range(len(splits)) or not np.array_equal(result.val_index, splits[k][1]) \
                or result.test_proba.shape[0] != len(X_test):
            raise KaggleMnistError(f"{runs.fold_dir(run_dir, k)}: not fold {k + 1} of this split and test.csv; "
                                   "delete it to retrain it")
    todo = [k for k in range(len(splits)) if k not in done]
    if done:
        log(f"resuming: folds {', '.join(str(k + 1) for k in sorted(done))} already done; training "
            f"{', '.join(str(k + 1) for k in todo) or 'nothing'}")

    n_jobs, threads = backends.share_cores(n_jobs, len(todo))
    run_start = time.perf_counter()
    jobs = [partial(run_fold, k, len(splits), *splits[k], X, y, X_test, preset, params, fold_seeds[k], threads,
                    verbose if n_jobs == 1 else 0, (i, len(todo), run_start)) for i, k in enumerate(todo)]
    results = dict(done)
    for result, model in backends.run_unordered(jobs, n_jobs, backend, scheduler):
        if run_dir:
            runs.save_fold(run_dir, result, model, preset, data)
        results[result.fold] = result
        log(f"fold {result.fold + 1}/{len(splits)}: accuracy {result.metrics['accuracy']:.4f}  "
            f"log loss {result.metrics['log_loss']:.4f}  {result.metrics['epochs']} epochs  "
            f"{result.metrics['seconds']:.0f}s{backends.eta(run_start, len(results) - len(done), len(todo))}")
    return summarise([results[k] for k in range(len(splits))], y, n_classes=int(y.max()) + 1)


def summarise(folds, y, n_classes):
    oof = np.full((len(y), n_classes), np.nan)
    for f in folds:
        oof[f.val_index] = f.val_proba
    scored = ~np.isnan(oof[:, 0])  # all rows for k folds; the held-out part for --holdout
    accuracies = [f.metrics["accuracy"] for f in folds]
    overall = fold_metrics(y[scored], oof[scored], n_classes)
    return {
        "folds": folds,
        "oof_proba": oof,
        "test_proba": np.mean([f.test_proba for f in folds], axis=0),
        "oof_accuracy": overall["accuracy"],
        "oof_log_loss": overall["log_loss"],
        "oof_confusion_matrix": overall["confusion_matrix"],
        "mean_accuracy": float(np.mean(accuracies)),
        "std_accuracy": float(np.std(accuracies)),
        "n_scored": int(scored.sum()),
    }
