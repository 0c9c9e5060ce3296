"""Convolution and pooling: fast versions equal their naive loops; gradients check out."""

import numpy as np
import pytest

from kaggle_mnist import NumpyNetClassifier
from kaggle_mnist.nn import BatchNorm, Conv2D, GlobalAvgPool, MaxPool2D
from kaggle_mnist.nn.conv import conv2d_naive, maxpool_naive
from kaggle_mnist.nn.gradcheck import check_layer, check_model, numerical_gradient, relative_error

F64 = np.float64


@pytest.mark.parametrize("kernel, stride, padding", [(3, 1, 0), (3, 1, 1), (5, 1, 2), (3, 2, 1), (2, 2, 0)])
def test_conv_equals_naive(kernel, stride, padding):
    rng = np.random.default_rng(0)
    layer = Conv2D(3, 4, kernel, rng, stride=stride, padding=padding, dtype=F64)
    layer.params["b"][...] = rng.normal(size=4)
    x = rng.normal(size=(2, 7, 6, 3))
    expected = conv2d_naive(x, layer.params["W"], layer.params["b"], stride, padding)
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size, shape", [(2, (2, 6, 6, 3)), (2, (1, 7, 5, 2)), (3, (2, 6, 9, 1))])
def test_maxpool_equals_naive(size, shape):
    x = np.random.default_rng(1).normal(size=shape)
    np.testing.assert_array_equal(MaxPool2D(size).forward(x), maxpool_naive(x, size))


# Shapes (N, H, W, C) whose dimensions all differ, and differ from the filter count.
@pytest.mark.parametrize("make, shape", [
    (lambda rng: Conv2D(3, 4, 3, rng, padding=1, dtype=F64), (2, 5, 7, 3)),
    (lambda rng: Conv2D(3, 4, 3, rng, stride=2, padding=1, dtype=F64), (2, 6, 5, 3)),
    (lambda rng: Conv2D(1, 2, 5, rng, padding=2, dtype=F64), (3, 6, 7, 1)),
    (lambda rng: Conv2D(2, 5, 2, rng, stride=2, dtype=F64), (3, 4, 6, 2)),
    (lambda rng: MaxPool2D(2), (2, 4, 6, 3)),
    (lambda rng: MaxPool2D(2), (1, 5, 7, 2)),  # odd sizes: the last row and column are dropped
    (lambda rng: GlobalAvgPool(), (2, 3, 4, 5)),
    (lambda rng: BatchNorm(3, dtype=F64, channel_axis=-1), (4, 5, 2, 3)),
], ids=["conv-pad", "conv-stride", "conv-5x5", "conv-2x2-stride", "maxpool", "maxpool-odd", "gap",
        "batchnorm-nhwc"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_conv_layer_gradients(make, shape, training):
    rng = np.random.default_rng(2)
    errors = check_layer(make(rng), rng.normal(size=shape), rng, training=training)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("seed", range(6))
def test_conv_equals_naive_on_random_shapes_forward_and_backward(seed):
    """Random sizes, kernels, strides and paddings; the backward pass against the
    gradient of the naive loop, found by finite differences of ``sum(naive(x) * r)``."""
    rng = np.random.default_rng(seed)
    k, stride = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    padding = int(rng.integers(0, k))
    n, h, w, c, f = (rng.integers(1, 4, 5) + np.array([0, k + 1, k + 2, 0, 0])).tolist()
    layer = Conv2D(c, f, k, rng, stride=stride, padding=padding, dtype=F64)
    layer.params["b"][...] = rng.normal(size=f)
    layer.need_dx = True
    x = rng.normal(size=(n, h, w, c))
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out, conv2d_naive(x, layer.params["W"], layer.params["b"], stride, padding),
                               rtol=1e-12, atol=1e-12)
    r = rng.normal(size=out.shape)
    dx = layer.backward(r)

    def naive_loss():
        return float(np.sum(conv2d_naive(x, layer.params["W"], layer.params["b"], stride, padding) * r))

    assert relative_error(dx, numerical_gradient(naive_loss, x)) < 1e-7
    assert relative_error(layer.grads["W"], numerical_gradient(naive_loss, layer.params["W"])) < 1e-7
    assert relative_error(layer.grads["b"], numerical_gradient(naive_loss, layer.params["b"])) < 1e-7


def test_whole_cnn_gradient():
    """Every parameter of a small CNN (convolutions, BatchNorm on channels, pooling, a
    strided convolution, Dense) against finite differences of the loss."""
    from kaggle_mnist.nn import Dense, Flatten, Reshape, Sequential, SoftmaxCrossEntropy, Tanh

    rng = np.random.default_rng(4)
    # BatchNorm after the activation: a bias right before BatchNorm has zero gradient.
    model = Sequential([Reshape((6, 8, 1)), Conv2D(1, 3, 3, rng, padding=1, dtype=F64), Tanh(),
                        BatchNorm(3, dtype=F64, channel_axis=-1), MaxPool2D(2),  # (N, 3, 4, 3)
                        Conv2D(3, 4, 2, rng, stride=2, dtype=F64), Tanh(), Flatten(),  # (N, 1, 2, 4)
                        Dense(8, 5, rng, dtype=F64)])
    x, y = rng.normal(size=(7, 48)), rng.integers(0, 5, 7)
    errors = check_model(model, SoftmaxCrossEntropy(0.1), x, y)
    assert len(errors) == 8 and max(errors.values()) < 1e-6, errors


def test_maxpool_ties_share_the_gradient():
    x = np.zeros((1, 2, 2, 1))
    pool = MaxPool2D(2)
    pool.forward(x)
    dx = pool.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_allclose(dx, 0.25)


@pytest.mark.parametrize("architecture", ["lenet", "cnn"])
def test_small_cnn_overfits_a_tiny_batch(architecture):
    rng = np.random.default_rng(0)
    X, y = rng.random((24, 784)).astype(np.float32), np.arange(24) % 4  # noise: only memorising works
    clf = NumpyNetClassifier(architecture=architecture, hidden_layer_sizes=(32,), learning_rate_init=3e-3, batch_size=None,
                             max_iter=150, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0 and clf.loss_curve_[-1] < 0.1
    assert type(clf.model_.layers[1]).__name__ == "Conv2D" and not clf.model_.layers[1].need_dx
