"""Presets are valid parameter sets; the benchmark script runs; test-time augmentation."""

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, blob_digits
from kaggle_mnist import NumpyNetClassifier, presets
from kaggle_mnist.estimator import check_params
from kaggle_mnist.errors import KaggleMnistError


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_builds_a_valid_pipeline(name):
    model = presets.build(name, random_state=0)
    net = model[-1]
    assert isinstance(net, NumpyNetClassifier) and net.random_state == 0
    check_params(net)


def test_seed_presets_are_the_tutorials():
    two = presets.params("seed-2layer")
    assert two["hidden_layer_sizes"] == (10,) and two["batch_size"] is None and two["max_iter"] == 500
    assert two["init"] == "uniform" and two["solver"] == "sgd" and two["learning_rate_init"] == 0.1
    assert presets.params("seed-3layer")["activation"] == "sigmoid"
    assert presets.params("seed-3layer")["hidden_layer_sizes"] == (64, 64)


def test_presets_are_named_after_their_architecture():
    for name, params in presets.PRESETS.items():
        architecture = params.get("architecture", "mlp")
        assert name.split("-")[0] in (architecture, "seed", "fast"), name
    assert presets.PRESETS["lenet-tta"] == {**presets.PRESETS["lenet"], "tta": 4}
    assert presets.PRESETS["lenet-wide"] == {**presets.PRESETS["lenet-deskew"], "filters": (64, 128), "max_iter": 18,
                                             "n_iter_no_change": 18}


@pytest.mark.parametrize("name", list(presets.ENSEMBLES))
def test_every_ensemble_preset_takes_network_presets_in_turn(name):
    plan = presets.ensemble_plan(name)
    names = presets.member_presets(plan)
    assert names and all(member in presets.PRESETS for member in names)
    assert [presets.member_preset(plan, i) for i in range(2 * len(names))] == [*names, *names]
    assert set(presets.member_parameters(plan, max_iter=1)) == set(names)
    assert presets.ensemble_plan(name, models=2, pseudo_label=0.9) == {**plan, "models": 2, "pseudo_label": 0.9}


def test_unknown_preset_and_bad_override():
    with pytest.raises(KaggleMnistError, match="unknown preset 'big'"):
        presets.params("big")
    with pytest.raises(KaggleMnistError, match="preset fast: dropout must be"):
        presets.params("fast", dropout=1.5)


def test_test_time_augmentation_averages_views():
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=0).fit(X / 255, y)
    plain = clf.predict_proba(X[:20] / 255)
    clf.set_params(tta=4)
    averaged = clf.predict_proba(X[:20] / 255)
    np.testing.assert_allclose(averaged.sum(axis=1), 1)
    assert not np.allclose(plain, averaged)


# Epochs enough for each network to learn the blob digits: the BatchNorm CNN is still on
# the steep part of its curve after 3 epochs (0.315 after 1, 0.56-0.59 after 3, 1.0 from 5),
# where float rounding alone moves the accuracy by several rows of the 200.
@pytest.mark.parametrize("network, epochs", [("mlp", 3), ("lenet", 3), ("cnn", 6)])
def test_benchmark_script_runs_and_writes_json(tmp_path, kaggle_dir, network, epochs):
    out = tmp_path / "bench.json"
    res = subprocess.run([sys.executable, str(ROOT / "scripts/benchmark.py"), "--data-dir", str(kaggle_dir),
                          "--network", network, "--epochs", str(epochs), "--peers", "numpynet,plain",
                          "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    results = report["results"]
    assert report["network"] == network and set(results) == {"numpynet", "plain"}
    assert results["numpynet"]["accuracy"] > 0.9  # chance is 0.1; these blobs are easy once learnt
    # the engine takes the plain step's numbers: the same predictions, up to float rounding
    assert abs(results["numpynet"]["accuracy"] - results["plain"]["accuracy"]) <= 0.01
    assert report["ratios"]["numpynet/plain"] > 0
    assert "BLAS:" in res.stdout and "s/epoch" in res.stdout
