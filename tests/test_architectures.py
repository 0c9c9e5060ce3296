"""Networks by name: their shapes, and the random streams they are built from."""

import numpy as np
import pytest

from kaggle_mnist import architectures, seeds
from kaggle_mnist.nn import BatchNorm, Conv2D, Dense, Dropout, MaxPool2D, Sigmoid

PARAMS = dict(hidden_layer_sizes=(32, 16), activation="relu", init="auto", batchnorm=False, dropout=0.25,
              filters=(32, 64))


def build(name, **changes):
    return architectures.build(name, 784, 10, {**PARAMS, **changes}, seeds.streams(0), np.float32)


@pytest.mark.parametrize("name, n_params", [
    ("mlp", 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10),
    ("lenet", 25 * 32 + 32 + 25 * 32 * 64 + 64 + 3136 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10),
])
def test_layer_shapes_and_parameter_counts(name, n_params):
    net = build(name)
    assert net.n_params() == n_params
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    assert net.forward(x).shape == (3, 10)
    assert not net.layers[net.first_trained].need_dx  # the first trained layer skips the input gradient


def test_cnn_has_batchnorm_on_channels_and_halves_the_image_twice():
    net = build("cnn")
    norms = [layer for layer in net.layers if isinstance(layer, BatchNorm)]
    assert len(norms) == 4 and all(layer.channel_axis == -1 for layer in norms)
    assert sum(isinstance(layer, MaxPool2D) for layer in net.layers) == 2
    assert [layer.params["W"].shape for layer in net.layers if isinstance(layer, Conv2D)] == [
        (3, 3, 1, 32), (3, 3, 32, 32), (3, 3, 32, 64), (3, 3, 64, 64)]


@pytest.mark.parametrize("name", ["lenet", "cnn", "strided"])
def test_filters_set_the_width_of_each_block(name):
    """filters=(8, 16): every convolution of the first block has 8 filters, of the second 16."""
    convs = [layer.params["W"].shape for layer in build(name, filters=(8, 16)).layers if isinstance(layer, Conv2D)]
    blocks = {"lenet": (1, 1), "cnn": (2, 2), "strided": (3, 3)}[name]
    assert [shape[3] for shape in convs[:sum(blocks)]] == [8] * blocks[0] + [16] * blocks[1]
    assert [shape[2] for shape in convs[1:sum(blocks)]] == [8] * blocks[0] + [16] * (blocks[1] - 1)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    assert build(name, filters=(8, 16)).forward(x).shape == (3, 10)


def test_strided_learns_its_pooling_and_ends_in_one_pixel_of_128_features():
    """28 -> 26 -> 24 -> 12 (strided 5x5) -> 10 -> 8 -> 4 (strided 5x5) -> 1 (4x4)."""
    net = build("strided")
    convs = [layer for layer in net.layers if isinstance(layer, Conv2D)]
    assert [layer.params["W"].shape for layer in convs] == [
        (3, 3, 1, 32), (3, 3, 32, 32), (5, 5, 32, 32), (3, 3, 32, 64), (3, 3, 64, 64), (5, 5, 64, 64),
        (4, 4, 64, 128)]
    assert [layer.stride for layer in convs] == [1, 1, 2, 1, 1, 2, 1]
    assert sum(isinstance(layer, BatchNorm) for layer in net.layers) == 7
    assert not any(isinstance(layer, MaxPool2D) for layer in net.layers)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    assert net.forward(x).shape == (3, 10)
    assert net.layers[-1].params["W"].shape == (128, 10)


def test_weights_come_from_the_init_stream_and_dropout_gets_the_dropout_stream():
    streams = seeds.streams(4)
    net = architectures.build("mlp", 784, 10, PARAMS, streams, np.float32)
    assert all(layer.rng is streams.dropout for layer in net.layers if isinstance(layer, Dropout))
    without = architectures.build("mlp", 784, 10, {**PARAMS, "dropout": 0.0}, seeds.streams(4), np.float32)
    # dropout draws nothing at build time: the same weights with or without it
    weights = [p for name, p in net.params().items() if name.endswith("W")]
    assert all(np.array_equal(a, b) for a, b in zip(weights, (p for n, p in without.params().items() if n.endswith("W"))))
    assert len(weights) == 3


def test_auto_init_and_activation():
    sig = build("mlp", activation="sigmoid", dropout=0.0)
    assert any(isinstance(layer, Sigmoid) for layer in sig.layers)
    w = sig.params()["0.W"]
    assert np.abs(w).max() <= np.sqrt(6 / (784 + 32))  # Glorot for sigmoid
    assert isinstance(sig.layers[-1], Dense)


def test_unknown_architecture_and_non_square_images():
    with pytest.raises(ValueError, match="architecture must be one of"):
        build("resnet")
    with pytest.raises(ValueError, match="square images"):
        architectures.build("lenet", 780, 10, PARAMS, seeds.streams(0), np.float32)
