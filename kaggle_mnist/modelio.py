"""Save and load fitted models without pickle.

A model is a folder of two files:

- ``model.json``: the package version, the estimator's parameters, the preset name,
  the classes, the number of features, whether a PixelScaler comes first, the
  training history, and the name, shape and dtype of every weight array plus the
  SHA-256 of the weights file;
- ``weights.npz``: the arrays of ``model_.state_dict()``, read back with
  ``allow_pickle=False``.

Loading checks everything it can (JSON, version, array names and shapes, checksum)
and raises :class:`ModelFileError` with one line saying what is wrong. The folder is
written atomically: a crash leaves the old model, or the new one, never half of one.
"""

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from kaggle_mnist import __version__
from kaggle_mnist.errors import ModelFileError
from kaggle_mnist.fileio import atomic_dir

FORMAT = 1


def _split(model):
    """(PixelScaler or None, NumpyNetClassifier) from a pipeline or a bare estimator."""
    from sklearn.pipeline import Pipeline

    from kaggle_mnist.estimator import NumpyNetClassifier
    from kaggle_mnist.pipeline import PixelScaler

    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if len(steps) == 2 and isinstance(steps[0], PixelScaler) and isinstance(steps[1], NumpyNetClassifier):
            return steps[0], steps[1]
        raise ValueError("can save a NumpyNetClassifier or a Pipeline(PixelScaler, NumpyNetClassifier)")
    if isinstance(model, NumpyNetClassifier):
        return None, model
    raise ValueError(f"cannot save a {type(model).__name__}")


def save_model(model, path, preset=None, extra=None, force=False):
    """Save a fitted model (estimator or pipeline) to the folder ``path``."""
    scaler, net = _split(model)
    state = net.model_.state_dict()
    params = net.get_params()
    params["hidden_sizes"] = list(params["hidden_sizes"])
    classes = net.classes_.tolist()
    with atomic_dir(path, force=force) as tmp:
        np.savez(tmp / "weights.npz", **state)
        meta = {
            "format": FORMAT,
            "kaggle_mnist_version": __version__,
            "preset": preset,
            "scaler": None if scaler is None else {"scale": scaler.scale},
            "params": params,
            "classes": classes,
            "n_features_in": int(net.n_features_in_),
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in state.items()},
            "weights_sha256": hashlib.sha256((tmp / "weights.npz").read_bytes()).hexdigest(),
            "history": net.history_.to_dict(),
            **(extra or {}),
        }
        (tmp / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return Path(path)


def load_model(path):
    """Load a model saved by :func:`save_model`; returns (model, metadata dict)."""
    from kaggle_mnist import architectures, seeds
    from kaggle_mnist.estimator import NumpyNetClassifier
    from kaggle_mnist.pipeline import PixelScaler, make_pipeline
    from kaggle_mnist.training import History

    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model folder")
    meta = _read_meta(path)
    weights_path = path / "weights.npz"
    if not weights_path.is_file():
        raise ModelFileError(f"{path}: weights.npz is missing")
    digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    if digest != meta["weights_sha256"]:
        raise ModelFileError(f"{weights_path}: checksum does not match model.json (corrupt or replaced)")
    try:
        with np.load(weights_path, allow_pickle=False) as archive:
            state = {k: archive[k] for k in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{weights_path}: unreadable ({e})") from None
    for name, spec in meta["arrays"].items():
        if name not in state:
            raise ModelFileError(f"{weights_path}: array {name} is missing")
        if list(state[name].shape) != spec["shape"] or str(state[name].dtype) != spec["dtype"]:
            raise ModelFileError(f"{weights_path}: array {name} is {state[name].shape} {state[name].dtype}, "
                                 f"model.json says {tuple(spec['shape'])} {spec['dtype']}")

    params = dict(meta["params"])
    params["hidden_sizes"] = tuple(params["hidden_sizes"])
    try:
        net = NumpyNetClassifier(**params)
        net._check_params()
    except (TypeError, ValueError) as e:
        raise ModelFileError(f"{path / 'model.json'}: bad parameters ({e})") from None
    net.classes_ = np.array(meta["classes"])
    net.n_features_in_ = meta["n_features_in"]
    streams = seeds.streams(0)  # the weights are overwritten; only the shapes matter
    net.model_ = architectures.build(net.architecture, net.n_features_in_, len(net.classes_), net.get_params(),
                                     streams, np.dtype(net.dtype))
    try:
        net.model_.load_state_dict(state)
    except ValueError as e:
        raise ModelFileError(f"{weights_path}: {e}") from None
    net.history_ = History(**meta["history"])
    net._set_curves()
    model = net if meta["scaler"] is None else make_pipeline(net)
    if meta["scaler"] is not None:
        model.steps[0] = ("scale", PixelScaler(**meta["scaler"]))
        model[0].n_features_in_ = net.n_features_in_
    return model, meta


def _read_meta(path):
    meta_path = path / "model.json"
    if not meta_path.is_file():
        raise ModelFileError(f"{path}: model.json is missing (not a kaggle-mnist model folder?)")
    try:
        meta = json.loads(meta_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{meta_path}: not valid JSON ({e})") from None
    required = ("format", "kaggle_mnist_version", "params", "classes", "n_features_in", "arrays", "weights_sha256",
                "history", "scaler")
    if not isinstance(meta, dict) or any(k not in meta for k in required):
        missing = [k for k in required if not isinstance(meta, dict) or k not in meta]
        raise ModelFileError(f"{meta_path}: missing {', '.join(missing)}")
    if meta["format"] != FORMAT:
        raise ModelFileError(f"{meta_path}: model format {meta['format']}, this version reads format {FORMAT}")
    major = lambda v: str(v).split(".")[:2]  # noqa: E731
    if major(meta["kaggle_mnist_version"]) != major(__version__):
        raise ModelFileError(f"{meta_path}: saved by kaggle-mnist {meta['kaggle_mnist_version']}, "
                             f"this is {__version__} (retrain or use that version)")
    return meta
