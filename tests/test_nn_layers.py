"""Every differentiable piece against finite differences (float64, relative error < 1e-6)."""

import numpy as np
import pytest

from kaggle_mnist.nn import (
    BatchNorm, Dense, Dropout, Flatten, LeakyReLU, ReLU, Reshape, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh,
    log_softmax, softmax,
)
from kaggle_mnist.nn.gradcheck import check_layer, numerical_gradient, relative_error

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


def test_dense_first_layer_skips_input_gradient():
    rng = np.random.default_rng(0)
    model = Sequential([Dense(4, 3, rng, dtype=F64), ReLU(), Dense(3, 2, rng, dtype=F64)])
    model.forward(rng.normal(size=(5, 4)), training=True)
    assert model.backward(rng.normal(size=(5, 2))) is None
    assert np.abs(model.grads()["0.W"]).sum() > 0


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_softmax_cross_entropy_gradient(smoothing):
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(7, 4)), rng.integers(0, 4, 7)
    loss = SoftmaxCrossEntropy(smoothing)
    loss.forward(z, y)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(z, y), z)
    assert relative_error(analytic, numeric) < 1e-6


def test_whole_model_gradient():
    rng = np.random.default_rng(2)
    # BatchNorm after the activation: a bias right before BatchNorm has zero gradient.
    model = Sequential([Dense(6, 5, rng, dtype=F64), Tanh(), BatchNorm(5, dtype=F64), Dense(5, 4, rng, dtype=F64),
                        LeakyReLU(0.1), Dense(4, 3, rng, dtype=F64)])
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    loss = SoftmaxCrossEntropy()

    def f():
        return loss.forward(model.forward(x, training=True), y)

    f()
    model.backward(loss.backward())
    analytic = {k: g.copy() for k, g in model.grads().items()}
    for name, p in model.params().items():
        assert relative_error(analytic[name], numerical_gradient(f, p)) < 1e-6, name


def test_softmax_of_huge_logits_does_not_overflow():
    z = np.array([[1e4, 1e4 - 1, -1e4], [-1e4, 0, 1e4]])
    with np.errstate(over="raise", invalid="raise"):
        p = softmax(z)
        lp = log_softmax(z)
    assert np.isfinite(p).all() and np.isfinite(lp).all()
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(p[0, :2], [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    assert p[1, 2] == 1.0


def test_cross_entropy_known_values():
    loss = SoftmaxCrossEntropy()
    perfect = np.array([[50.0, 0, 0], [0, 0, 50.0]])
    assert loss.forward(perfect, np.array([0, 2])) < 1e-12
    uniform = np.zeros((4, 10))
    assert loss.forward(uniform, np.arange(4)) == pytest.approx(np.log(10))
    # Label smoothing: a uniform prediction scores log(K) whatever eps is.
    assert SoftmaxCrossEntropy(0.2).forward(uniform, np.arange(4)) == pytest.approx(np.log(10))


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


def test_sequential_repr_state_dict_round_trip():
    rng = np.random.default_rng(0)
    model = Sequential([Dense(4, 3, rng), BatchNorm(3), ReLU(), Dropout(0.5, rng), Dense(3, 2, rng)])
    text = repr(model)
    assert "Dense(4, 3)" in text and "Dropout(p=0.5)" in text and "29 parameters" in text
    state = model.state_dict()
    assert set(state) == {"0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var", "4.W", "4.b"}
    other = Sequential([Dense(4, 3, np.random.default_rng(9)), BatchNorm(3), ReLU(), Dropout(0.5, rng),
                        Dense(3, 2, np.random.default_rng(9))])
    other.load_state_dict(state)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(other.forward(x), model.forward(x))
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({k: v for k, v in state.items() if k != "0.W"})
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict({**state, "0.W": np.zeros((3, 3), np.float32)})
