"""Every layer against finite differences (float64, relative error < 1e-6), and its maths."""

import numpy as np
import pytest

from kaggle_mnist.nn import BatchNorm, Dense, Dropout, Flatten, LeakyReLU, ReLU, Reshape, Sigmoid, Tanh
from kaggle_mnist.nn.gradcheck import check_layer

F64 = np.float64


def away_from_kinks(x):
    """Keep inputs away from 0, where ReLU-like layers are not differentiable."""
    return np.where(np.abs(x) < 0.05, 0.1, x)


# Every dimension of every shape differs from the others (and from the feature count):
# a gradient summed over the wrong axis cannot pass by luck of a square shape.


LAYERS = {
    "dense": (lambda rng: Dense(5, 4, rng, "he", F64), (6, 5)),
    "dense-uniform": (lambda rng: Dense(5, 4, rng, "uniform", F64), (6, 5)),
    "relu": (lambda rng: ReLU(), (6, 5)),
    "leaky_relu": (lambda rng: LeakyReLU(0.1), (6, 5)),
    "sigmoid": (lambda rng: Sigmoid(), (6, 5)),
    "tanh": (lambda rng: Tanh(), (6, 5)),
    "dropout": (lambda rng: Dropout(0.4, rng), (6, 5)),
    "batchnorm-features": (lambda rng: BatchNorm(5, dtype=F64), (8, 5)),
    "batchnorm-channels-last": (lambda rng: BatchNorm(3, dtype=F64, channel_axis=-1), (4, 5, 2, 3)),
    "flatten": (lambda rng: Flatten(), (2, 3, 4, 5)),
    "reshape": (lambda rng: Reshape((1, 2, 3)), (4, 6)),
}


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients(name, training):
    make, shape = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = make(rng)
    if isinstance(layer, BatchNorm):  # non-trivial scale, shift and running statistics
        for key in ("gamma", "beta"):
            layer.params[key][...] = rng.uniform(0.5, 1.5, layer.params[key].shape)
        layer.buffers["running_mean"][...] = rng.normal(size=layer.buffers["running_mean"].shape)
        layer.buffers["running_var"][...] = rng.uniform(0.5, 2, layer.buffers["running_var"].shape)
    x = away_from_kinks(rng.normal(size=shape))
    errors = check_layer(layer, x, rng, training=training)
    assert max(errors.values()) < 1e-6, errors


def test_batchnorm_statistics_are_per_channel_whatever_the_shape():
    """The regression test of a wrong divisor: the height (axis 1) used as the count of
    channels gave a gradient 0.13 off on (4, 5, 2, 3) images."""
    rng = np.random.default_rng(3)
    bn = BatchNorm(3, dtype=F64, channel_axis=-1)
    x = rng.normal(size=(4, 5, 2, 3))
    out = bn.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 1, 2)), 1, atol=1e-3)
    # The gradient of a loss that only shifts with the mean is zero: dout constant per channel.
    dx = bn.backward(np.broadcast_to(rng.normal(size=3), x.shape).copy())
    np.testing.assert_allclose(dx, 0, atol=1e-12)


def test_sigmoid_is_stable_and_correct():
    x = np.array([-1000.0, -1, 0, 1, 1000])
    with np.errstate(over="raise", invalid="raise"):
        out = Sigmoid().forward(x)
    np.testing.assert_allclose(out, [0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1])


def test_dropout_is_identity_at_inference_and_keeps_expectation():
    rng = np.random.default_rng(0)
    layer = Dropout(0.25, rng)
    x = np.ones((2000, 50), np.float32)
    assert layer.forward(x, training=False) is x
    out = layer.forward(x, training=True)
    assert abs((out == 0).mean() - 0.25) < 0.01
    assert abs(out.mean() - 1.0) < 0.01


def test_batchnorm_uses_running_statistics_at_inference():
    rng = np.random.default_rng(0)
    bn = BatchNorm(3, momentum=0.0, dtype=F64)  # momentum 0: running = last batch
    x = rng.normal(5, 2, size=(100, 3))
    out = bn.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_mean"], x.mean(axis=0))
    single = bn.forward(x[:1], training=False)  # one sample, normalised like in its batch
    np.testing.assert_allclose(single, out[:1], atol=1e-6)
