"""Model files: round trip, and a clear error for every way a file can be broken."""

import json

import numpy as np
import pytest

from conftest import blob_digits
from kaggle_mnist import presets
from kaggle_mnist.errors import ModelFileError
from kaggle_mnist.modelio import load_model, save_model


@pytest.fixture
def saved(tmp_path):
    X, y = blob_digits(200)
    model = presets.build("fast", max_iter=2, random_state=0, dropout=0.1, batchnorm=True).fit(X, y)
    path = save_model(model, tmp_path / "model", preset="fast")
    return model, path, X


def test_round_trip_gives_identical_predictions(saved):
    model, path, X = saved
    loaded, meta = load_model(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert meta["preset"] == "fast" and meta["classes"] == list(range(10))
    assert loaded[-1].loss_curve_ == model[-1].loss_curve_
    with np.load(path / "weights.npz", allow_pickle=False) as archive:  # plain arrays only
        assert "0.W" in archive.files


def test_round_trip_keeps_the_filters_of_a_convolutional_network(tmp_path):
    X, y = blob_digits(100)
    model = presets.build("lenet", filters=(4, 8), hidden_layer_sizes=(16,), max_iter=1, augment=None,
                          random_state=0).fit(X, y)
    loaded, meta = load_model(save_model(model, tmp_path / "model", preset="lenet"))
    assert meta["params"]["filters"] == [4, 8] and loaded[-1].filters == (4, 8)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_model_saved_before_filters_existed_loads_with_32_and_64(tmp_path):
    X, y = blob_digits(100)
    model = presets.build("lenet", hidden_layer_sizes=(16,), max_iter=1, augment=None, random_state=0).fit(X, y)
    path = save_model(model, tmp_path / "model", preset="lenet")
    edit_json(path, lambda m: m["params"].pop("filters"))
    loaded, _ = load_model(path)
    assert loaded[-1].filters == (32, 64)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_existing_model_is_not_overwritten_without_force(saved):
    model, path, X = saved
    before = (path / "weights.npz").read_bytes()
    with pytest.raises(Exception, match="already exists"):
        save_model(model, path)
    assert (path / "weights.npz").read_bytes() == before
    model[-1].random_state = 7  # a visible change, saved over the old folder with force
    save_model(model, path, force=True)
    loaded, meta = load_model(path)
    assert meta["params"]["random_state"] == 7
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def edit_json(path, change):
    meta = json.loads((path / "model.json").read_text())
    change(meta)
    (path / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("breakage, message", [
    (lambda p: (p / "model.json").write_text("{not json"), "not valid JSON"),
    (lambda p: (p / "model.json").unlink(), "model.json is missing"),
    (lambda p: (p / "weights.npz").unlink(), "weights.npz is missing"),
    (lambda p: (p / "weights.npz").write_bytes((p / "weights.npz").read_bytes()[:200]), "checksum does not match"),
    (lambda p: edit_json(p, lambda m: m.update(kaggle_mnist_version="9.0.0")), "saved by kaggle-mnist 9.0.0"),
    (lambda p: edit_json(p, lambda m: m.pop("classes")), "missing classes"),
    (lambda p: edit_json(p, lambda m: m["params"].update(hidden_layer_sizes=[64])), "the declared network has"),
    (lambda p: edit_json(p, lambda m: m["params"].update(activation="gelu")), "bad parameters"),
    (lambda p: edit_json(p, lambda m: m["params"].update(filters=[64])), "bad parameters"),
], ids=["bad-json", "no-json", "no-weights", "truncated", "version", "missing-key", "shape", "bad-param",
        "bad-filters"])
def test_broken_model_files_raise_one_clear_error(saved, breakage, message):
    _, path, _ = saved
    breakage(path)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(path)
    assert "\n" not in str(info.value)


def test_truncated_weights_with_matching_checksum(saved):
    import hashlib

    _, path, _ = saved
    (path / "weights.npz").write_bytes(b"PK\x03\x04 truncated")
    edit_json(path, lambda m: m.update(weights_sha256=hashlib.sha256((path / "weights.npz").read_bytes()).hexdigest()))
    with pytest.raises(ModelFileError, match="unreadable"):
        load_model(path)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelFileError, match="no such model folder"):
        load_model(tmp_path / "nothing")
