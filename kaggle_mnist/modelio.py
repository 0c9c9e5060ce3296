"""Save and load fitted models without pickle.

A model is a folder of two files:

- ``model.json``: the format number, the package version, the estimator's parameters,
  the preset name, the classes, the number of features, whether a PixelScaler comes
  first, the training history, the name, shape and dtype of every weight array, and
  the SHA-256 of the weights file;
- ``weights.npz``: the arrays of ``model_.state_dict()``, read back with
  ``allow_pickle=False``.

Loading treats every byte as untrusted: each field of model.json is checked for its
type and range, the parameters as the estimator checks them, the declared arrays
against the shapes the declared network has, the weights file against its checksum,
and each array's header before its data is read (a header may claim any size). The
first problem raises :class:`ModelFileError` with one line saying what and where. The
folder is written atomically: a crash leaves the old model, or the new one.

Format 2 (kaggle-mnist 0.2) uses scikit-learn's parameter names (``hidden_layer_sizes``,
``max_iter``, ...); format 1 files are refused with a message saying to retrain.
"""

import hashlib
import json
import numbers
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from kaggle_mnist import __version__
from kaggle_mnist.errors import ModelFileError
from kaggle_mnist.fileio import atomic_dir, check_replaceable

FORMAT = 2
MODEL_JSON = "model.json"
WEIGHTS_NPZ = "weights.npz"
REQUIRED = {"format": int, "kaggle_mnist_version": str, "params": dict, "classes": list, "n_features_in": int,
            "arrays": dict, "weights_sha256": str, "history": dict, "scaler": (dict, type(None))}
OPTIONAL = {"preset": (str, type(None)), "seed": (int, type(None)), "train_seconds": (int, float, type(None)),
            "git_commit": (str, type(None)), "data": (dict, type(None))}


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
    """Save a fitted model (estimator or pipeline) to the folder ``path``; with ``force``,
    in place of an older model there (never of a folder that holds no model.json)."""
    from kaggle_mnist.architectures import hidden_layer_sizes

    scaler, net = _split(model)
    state = net.model_.state_dict()
    params = net.get_params()
    params["hidden_layer_sizes"] = list(hidden_layer_sizes(params))
    if not isinstance(params["random_state"], (int, type(None))):
        params["random_state"] = None  # a generator object is not data; the weights are what was learned
    check_replaceable(path, MODEL_JSON)
    with atomic_dir(path, force=force) as tmp:
        np.savez(tmp / WEIGHTS_NPZ, **state)
        meta = {
            "format": FORMAT,
            "kaggle_mnist_version": __version__,
            "preset": preset,
            "scaler": None if scaler is None else {"scale": scaler.scale},
            "params": params,
            "classes": net.classes_.tolist(),
            "n_features_in": int(net.n_features_in_),
            "arrays": {k: {"shape": list(v.shape), "dtype": str(v.dtype)} for k, v in state.items()},
            "weights_sha256": hashlib.sha256((tmp / WEIGHTS_NPZ).read_bytes()).hexdigest(),
            "history": net.history_.to_dict(),
            **(extra or {}),
        }
        (tmp / MODEL_JSON).write_text(json.dumps(meta, indent=2) + "\n")
    return Path(path)


def load_model(path):
    """Load a model saved by :func:`save_model`; returns (model, metadata dict)."""
    from kaggle_mnist import architectures, seeds
    from kaggle_mnist.estimator import NumpyNetClassifier, check_params
    from kaggle_mnist.pipeline import PixelScaler, make_pipeline

    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model folder" if not path.exists() else f"{path}: not a folder")
    meta_path, weights_path = path / MODEL_JSON, path / WEIGHTS_NPZ
    meta = read_meta(meta_path)
    bad = _bad_field(meta_path)

    params = dict(meta["params"])
    unknown = params.keys() - NumpyNetClassifier().get_params().keys()
    if unknown:
        raise bad(f"params has unknown keys {sorted(unknown)}")
    for name in ("hidden_layer_sizes", "filters"):  # JSON has lists; the estimator, tuples
        if isinstance(params.get(name), list):
            params[name] = tuple(params[name])
    try:
        net = NumpyNetClassifier(**params)
        check_params(net)
    except (TypeError, ValueError) as e:
        raise bad(f"bad parameters ({e})") from None
    classes = meta["classes"]
    if len(classes) < 2 or len(set(map(repr, classes))) != len(classes) or not all(
            isinstance(c, (int, str)) and not isinstance(c, bool) for c in classes):
        raise bad("classes must be a list of at least 2 distinct integers or strings")
    if len({type(c) for c in classes}) != 1:
        raise bad("classes must all be integers or all strings")
    if not 0 < meta["n_features_in"] <= 10**6:
        raise bad(f"n_features_in must be between 1 and 1000000, got {meta['n_features_in']}")
    scaler = meta["scaler"]
    if scaler is not None and (set(scaler) != {"scale"} or not _positive_number(scaler["scale"])):
        raise bad("scaler must be null or {\"scale\": a positive number}")
    history = _history(meta["history"], bad)

    net.classes_ = np.array(sorted(classes))
    net.n_features_in_ = meta["n_features_in"]
    try:
        net.model_ = architectures.build(net.architecture, net.n_features_in_, len(classes), net.get_params(),
                                         seeds.streams(0), np.dtype(net.dtype))  # random weights, replaced below
    except ValueError as e:
        raise bad(str(e)) from None
    expected = {k: (v.shape, v.dtype) for k, v in net.model_.state_dict().items()}
    _check_declared_arrays(meta["arrays"], expected, bad)
    state = _read_weights(weights_path, meta["weights_sha256"], expected)
    net.model_.load_state_dict(state)
    net.history_ = history
    net.t_ = 0
    net._set_learned()
    if scaler is None:
        return net, meta
    model = make_pipeline(net)
    model.steps[0] = ("scale", PixelScaler(**scaler))
    model[0].n_features_in_ = net.n_features_in_
    return model, meta


def check_features(meta, X, path):
    """Refuse test rows that do not have the model's number of features."""
    if X.shape[1] != meta["n_features_in"]:
        raise ModelFileError(f"{path}: the model takes {meta['n_features_in']} features, the test rows have "
                             f"{X.shape[1]}")


def check_digit_classes(classes, where):
    """Refuse classes other than the integers 0-9: a submission's labels are those."""
    if not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 9 for c in classes):
        raise ModelFileError(f"{where}: classes {classes} are not the integers 0-9, "
                             "so its predictions cannot make a submission")


def _bad_field(meta_path):
    return lambda message: ModelFileError(f"{meta_path}: {message}")


def _positive_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and np.isfinite(x) and x > 0


def read_meta(meta_path):
    """model.json, parsed, with every top-level field of the right type."""
    if not meta_path.is_file():
        raise ModelFileError(f"{meta_path.parent}: {MODEL_JSON} is missing (not a kaggle-mnist model folder?)")
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as e:  # ValueError: bad UTF-8, bad JSON, an integer of 5,000 digits
        raise ModelFileError(f"{meta_path}: not valid JSON ({str(e).splitlines()[0]})") from None
    bad = _bad_field(meta_path)
    if not isinstance(meta, dict):
        raise bad(f"must hold a JSON object, not {type(meta).__name__}")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise bad(f"missing {', '.join(missing)}")
    if not isinstance(meta["format"], int) or isinstance(meta["format"], bool):
        raise bad(f"format must be an integer, got {meta['format']!r}")
    if meta["format"] != FORMAT:
        raise bad(f"model format {meta['format']}, this version reads format {FORMAT} "
                  f"(saved by kaggle-mnist {meta.get('kaggle_mnist_version')}: retrain the model)")
    for key, kinds in {**REQUIRED, **OPTIONAL}.items():
        if key in meta and (not isinstance(meta[key], kinds) or isinstance(meta[key], bool)):
            names = kinds.__name__ if isinstance(kinds, type) else " or ".join(k.__name__ for k in kinds)
            raise bad(f"{key} must be {names.replace('NoneType', 'null')}, got {type(meta[key]).__name__}")
    unknown = meta.keys() - REQUIRED.keys() - OPTIONAL.keys()
    if unknown:
        raise bad(f"unknown keys {sorted(unknown)}")
    major = lambda v: str(v).split(".")[:2]  # noqa: E731
    if major(meta["kaggle_mnist_version"]) != major(__version__):
        raise bad(f"saved by kaggle-mnist {meta['kaggle_mnist_version']}, this is {__version__} "
                  "(retrain or use that version)")
    return meta


def _history(data, bad):
    from kaggle_mnist.training import History

    kinds = {f.name: f.type for f in fields(History)}
    unknown = data.keys() - kinds.keys()
    if unknown:
        raise bad(f"history has unknown keys {sorted(unknown)}")
    for key, value in data.items():
        if key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"):
            ok = isinstance(value, list) and all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                                 for v in value)
        elif key in ("stopped_early", "interrupted"):
            ok = isinstance(value, bool)
        else:  # best_epoch, steps
            ok = (value is None and key == "best_epoch") or (isinstance(value, int) and not isinstance(value, bool)
                                                               and value >= 0)
        if not ok:
            raise bad(f"history.{key} has the wrong type or value ({str(value)[:40]})")
    return History(**data)


def _check_declared_arrays(arrays, expected, bad):
    """model.json's arrays must be exactly the declared network's."""
    if set(arrays) != set(expected):
        missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
        raise bad(f"arrays do not fit the declared network (missing {missing}, unexpected {extra})")
    for name, spec in arrays.items():
        shape, dtype = expected[name]
        if not isinstance(spec, dict) or spec.get("shape") != list(shape) or spec.get("dtype") != str(dtype):
            raise bad(f"array {name} is declared {spec}, the declared network has {list(shape)} {dtype}")


def _read_weights(weights_path, sha256, expected):
    """The arrays of weights.npz, each checked against ``expected`` by its header
    before its data is read."""
    if not weights_path.is_file():
        raise ModelFileError(f"{weights_path.parent}: {WEIGHTS_NPZ} is missing")
    data = weights_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelFileError(f"{weights_path}: checksum does not match {MODEL_JSON} (corrupt or replaced)")
    state = {}
    try:
        with zipfile.ZipFile(weights_path) as archive:
            names = {n.removesuffix(".npy"): n for n in archive.namelist()}
            if set(names) != set(expected):
                raise ModelFileError(f"{weights_path}: holds arrays {sorted(names)}, expected {sorted(expected)}")
            for name, member in names.items():
                with archive.open(member) as f:
                    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                                   (2, 0): np.lib.format.read_array_header_2_0}.get(np.lib.format.read_magic(f))
                    if read_header is None:
                        raise ValueError(f"array {name} has an unknown .npy version")
                    shape, fortran, dtype = read_header(f)
                    if (shape, dtype) != expected[name]:
                        raise ModelFileError(f"{weights_path}: array {name} is {shape} {dtype}, "
                                             f"expected {expected[name][0]} {expected[name][1]}")
                state[name] = np.lib.format.read_array(archive.open(member), allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{weights_path}: unreadable ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
                             ) from None
    for name, array in state.items():
        if not np.isfinite(array).all():
            raise ModelFileError(f"{weights_path}: array {name} holds NaN or infinite values")
    return state
