"""Ensembles beyond folds: several networks trained on all the rows, their test
probabilities averaged; and pseudo-labels for a second round.

Averaging the probabilities of networks that differ only in their random seed (or in
their architecture) cancels part of each one's mistakes: the errors of well-trained
networks are partly independent. Two ways to build one:

- :func:`train_members`: train the plan's ``models`` networks of a preset (or of
  several, in turn) on every training row, each with its own seed. There are no
  validation rows, so there is no early stopping: the preset's schedule runs to its end.
  Members train side by side like folds (``n_jobs``, or a Dask cluster); each is saved
  the moment it is done, and ``resume`` skips those already saved.
- :func:`load_sources`: the test probabilities of finished runs (a cross-validation's
  fold ensemble, an ensemble run) or saved models, to be averaged, optionally weighted,
  after checking that they were trained on the same data, with the same classes.

Pseudo-labelling (:func:`pseudo_labels`): a second round trains on the training rows
plus the test rows on which the first round's ensemble is confident, labelled with its
own predictions. It uses the test pixels only, never their labels; and out-of-fold
scores are never computed on pseudo-labelled rows.

    RUN/
      config.json                    preset, models, seed, pseudo-label threshold, data
      round-1/member-K/              model/, test_proba.npz, member.json
      round-2/member-K/              (with pseudo-labels)
      probabilities.npz, metrics.json
"""

import json
import time
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from kaggle_mnist import backends, presets, progress, runs, seeds
from kaggle_mnist.data import fit_or_explain
from kaggle_mnist.errors import KaggleMnistError
from kaggle_mnist.fileio import atomic_dir, write_json

MEMBER_JSON = "member.json"
TEST_PROBA_NPZ = "test_proba.npz"


@dataclass
class Member:
    round: int  # 1, or 2 with pseudo-labels
    index: int  # 0-based
    preset: str  # its network preset
    seed: int
    test_proba: np.ndarray  # (m, K)
    seconds: float
    epochs: int


def member_dir(run_dir, round_, index):
    return Path(run_dir) / f"round-{round_}" / f"member-{index + 1}"


def train_member(round_, index, X, y, X_test, preset, params, seed, threads, verbose, place):
    """Train one member on all of (X, y) and predict X_test (runs in a worker)."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    position, count, run_start = place
    with threadpool_limits(limits=threads), progress.whole_run(position, count, run_start, name="model"):
        model = presets.build(preset, **{**params, "random_state": seed, "verbose": verbose})
        fit_or_explain(model, X, y, "the training rows")
        test_proba = model.predict_proba(X_test)
    if model[-1].interrupted_:
        raise KeyboardInterrupt
    return Member(round_, index, preset, seed, test_proba, time.perf_counter() - start, model[-1].n_iter_), model


def save_member(run_dir, member, model, data=None):
    from kaggle_mnist.modelio import save_model

    path = member_dir(run_dir, member.round, member.index)
    with atomic_dir(path, force=True) as tmp:
        save_model(model, tmp / "model", preset=member.preset, force=True, extra={"seed": member.seed, "data": data})
        with open(tmp / TEST_PROBA_NPZ, "wb") as f:
            np.savez(f, test_proba=member.test_proba)
        write_json(tmp / MEMBER_JSON, {"round": member.round, "index": member.index, "preset": member.preset,
                                       "seed": member.seed, "seconds": member.seconds, "epochs": member.epochs})


def load_members(run_dir, round_):
    """{index: Member} of the members of ``round_`` saved whole in ``run_dir``."""
    found = {}
    for number, path in runs.numbered_folders(Path(run_dir) / f"round-{round_}", "member"):
        try:
            meta = json.loads((path / MEMBER_JSON).read_text())
            with np.load(path / TEST_PROBA_NPZ, allow_pickle=False) as p:
                member = Member(round_, meta["index"], meta["preset"], meta["seed"], p["test_proba"],
                                meta["seconds"], meta["epochs"])
            if not isinstance(member.index, int) or isinstance(member.index, bool):
                raise ValueError(f"{MEMBER_JSON}: index must be an integer")
            if member.index != number - 1:
                raise ValueError(f"{MEMBER_JSON} is member {member.index + 1}'s")
            runs.check_probabilities(member.test_proba, "test_proba")
            found[member.index] = member
        except (OSError, ValueError, KeyError, TypeError, RecursionError, EOFError, zipfile.BadZipFile) as e:
            raise KaggleMnistError(f"{path}: cannot resume from this member ({e}); delete it to retrain it") from None
    return found


def train_members(X, y, X_test, plan, seed, round_=1, overrides=None, n_jobs=1, backend="loky",
                  scheduler=None, run_dir=None, resume=False, verbose=1, log=print, data=None):
    """Train the ``plan["models"]`` members of an ensemble plan
    (:func:`~kaggle_mnist.presets.ensemble_plan`) on all of (X, y); return them in order.

    Member ``i`` of round ``r`` trains ``member_preset(plan, i)`` with the seed
    ``child_seeds(seed, n_models, ENSEMBLE, r)[i]`` whatever the order members are
    trained in, so a run repeats exactly.
    """
    n_models = plan["models"]
    params = {name: {**p, "early_stopping": False}
              for name, p in presets.member_parameters(plan, **(overrides or {})).items()}
    member_seeds = seeds.child_seeds(seed, n_models, seeds.ENSEMBLE, round_)
    done = load_members(run_dir, round_) if (resume and run_dir) else {}
    done = {i: m for i, m in done.items() if i < n_models}
    for i, m in done.items():
        if m.preset != presets.member_preset(plan, i):
            raise KaggleMnistError(f"{member_dir(run_dir, round_, i)}: trained {m.preset}, this run's member "
                                   f"{i + 1} is {presets.member_preset(plan, i)}; delete it to retrain it")
        if m.seed != member_seeds[i] or len(m.test_proba) != len(X_test):
            raise KaggleMnistError(f"{member_dir(run_dir, round_, i)}: not member {i + 1} of this run's seeds and "
                                   "test.csv; delete it to retrain it")
    todo = [i for i in range(n_models) if i not in done]
    if done:
        log(f"round {round_}: members {', '.join(str(i + 1) for i in sorted(done))} already done")
    n_jobs, threads = backends.share_cores(n_jobs, len(todo))
    start = time.perf_counter()
    jobs = []
    for k, i in enumerate(todo):
        name = presets.member_preset(plan, i)
        jobs.append(partial(train_member, round_, i, X, y, X_test, name, params[name], member_seeds[i], threads,
                            verbose if n_jobs == 1 else 0, (k, len(todo), start)))
    members = dict(done)
    for member, model in backends.run_unordered(jobs, n_jobs, backend, scheduler):
        if run_dir:
            save_member(run_dir, member, model, data)
        members[member.index] = member
        log(f"round {round_}, model {member.index + 1}/{n_models} ({member.preset}): {member.epochs} epochs, "
            f"{member.seconds:.0f}s{backends.eta(start, len(members) - len(done), len(todo))}")
    return [members[i] for i in range(n_models)]


def average(probas, weights=None):
    """The (weighted) mean of a list of (m, K) probability arrays."""
    weights = np.ones(len(probas)) if weights is None else check_weights(weights, len(probas))
    return np.tensordot(weights / weights.sum(), np.stack(probas), axes=1)


def check_weights(weights, n):
    """``weights`` as an (n,) float array; KaggleMnistError unless there are n of them,
    none negative, with a finite positive sum."""
    weights = np.asarray(weights, dtype=np.float64)
    with np.errstate(over="ignore"):
        total = weights.sum() if np.isfinite(weights).all() else np.nan
    if len(weights) != n or (weights < 0).any() or not 0 < total < np.inf:
        raise KaggleMnistError(f"--weights: {n} non-negative weights with a positive sum are needed")
    return weights


def pseudo_labels(test_proba, threshold):
    """(rows, labels): the test rows whose ensemble probability reaches ``threshold``,
    and the ensemble's label for each (column indices of ``test_proba``)."""
    confident = np.flatnonzero(test_proba.max(axis=1) >= threshold)
    return confident, test_proba[confident].argmax(axis=1)


# ------------------------------------------------------------------ combining finished work
@dataclass
class Source:
    path: Path
    kind: str  # "run" (cross-validation or ensemble) or "model"
    classes: list
    n_test: int  # the test rows it predicts
    data: dict  # the data signature it was trained on, or None if it did not record one
    test_proba: np.ndarray = None  # (n_test, K), columns in ``classes`` order


def load_sources(paths, competition):
    """The test probabilities of run folders and model folders (models predict now, on the
    competition's test rows), with what each was trained on.

    Every folder is opened and checked against the others and the competition first (see
    :func:`check_compatible`), so a bad one is named before any model spends minutes
    predicting.
    """
    opened = [_open_source(Path(path), competition) for path in paths]
    check_compatible([source for source, _ in opened], competition.signature())
    for source, model in opened:
        if model is not None:
            source.test_proba = model.predict_proba(competition.X_test)
    return [source for source, _ in opened]


def _open_source(path, competition):
    """(Source, None) for a finished run, with its saved test probabilities; (Source
    without probabilities, the loaded model) for a model folder."""
    from kaggle_mnist.modelio import MODEL_JSON, check_features, load_model

    if (path / runs.PROBABILITIES_NPZ).is_file():
        try:
            config = json.loads((path / runs.CONFIG_JSON).read_text())
            with np.load(path / runs.PROBABILITIES_NPZ, allow_pickle=False) as p:
                proba, classes = p["test"], p["classes"].tolist()
            if not isinstance(config, dict):
                raise ValueError(f"{runs.CONFIG_JSON} must hold a JSON object")
            runs.check_probabilities(proba, "test probabilities")
        except (OSError, ValueError, KeyError, TypeError, RecursionError, EOFError, zipfile.BadZipFile) as e:
            raise KaggleMnistError(f"{path}: not a finished run ({e})") from None
        return Source(path, "run", classes, len(proba), config.get("data"), proba), None
    if (path / MODEL_JSON).is_file():
        model, meta = load_model(path)
        check_features(meta, competition.X_test, path)
        classes = sorted(meta["classes"])  # the model's classes_, the columns of its probabilities
        return Source(path, "model", classes, len(competition.X_test), meta.get("data")), model
    raise KaggleMnistError(f"{path}: neither a finished run (no {runs.PROBABILITIES_NPZ}) nor a model folder")


def check_compatible(sources, signature):
    """Refuse to average predictions with classes other than the digits, or other classes
    than each other's, or of different test rows, or of other training data."""
    from kaggle_mnist.modelio import MODEL_JSON, check_digit_classes

    first = sources[0]
    for source in sources:
        check_digit_classes(source.classes, source.path / (MODEL_JSON if source.kind == "model" else
                                                           runs.PROBABILITIES_NPZ))
        if source.classes != first.classes:
            raise KaggleMnistError(f"{source.path}: classes {source.classes} differ from {first.path}'s")
        if source.n_test != first.n_test:
            raise KaggleMnistError(f"{source.path}: predicts {source.n_test} test rows, {first.path} {first.n_test}")
        if source.data is None:
            raise KaggleMnistError(f"{source.path}: records no data signature (made by an older kaggle-mnist); "
                                   "retrain it to combine it")
        if source.data != signature:
            raise KaggleMnistError(f"{source.path}: was trained on other data than {signature and 'this folder'}'s "
                                   "(train.csv or test.csv differ)")
