"""Convolution and pooling: fast versions equal their naive loops; gradients check out."""

import numpy as np
import pytest

from kaggle_mnist import NumpyNetClassifier
from kaggle_mnist.nn import BatchNorm, Conv2D, GlobalAvgPool, MaxPool2D
from kaggle_mnist.nn.conv import conv2d_naive, maxpool_naive
from kaggle_mnist.nn.gradcheck import check_layer

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


@pytest.mark.parametrize("make, shape", [
    (lambda rng: Conv2D(2, 3, 3, rng, padding=1, dtype=F64), (2, 5, 5, 2)),
    (lambda rng: Conv2D(2, 3, 3, rng, stride=2, padding=1, dtype=F64), (2, 6, 5, 2)),
    (lambda rng: Conv2D(1, 2, 5, rng, padding=2, dtype=F64), (1, 6, 6, 1)),
    (lambda rng: MaxPool2D(2), (2, 4, 6, 3)),
    (lambda rng: MaxPool2D(2), (1, 5, 5, 2)),  # odd sizes: the last row and column are dropped
    (lambda rng: GlobalAvgPool(), (2, 3, 4, 5)),
    (lambda rng: BatchNorm(3, dtype=F64, channel_axis=-1), (4, 3, 2, 3)),
], ids=["conv-pad", "conv-stride", "conv-5x5", "maxpool", "maxpool-odd", "gap", "batchnorm-nhwc"])
def test_conv_layer_gradients(make, shape):
    rng = np.random.default_rng(2)
    errors = check_layer(make(rng), rng.normal(size=shape), rng)
    assert max(errors.values()) < 1e-6, errors


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
    clf = NumpyNetClassifier(architecture=architecture, hidden_sizes=(32,), learning_rate=3e-3, batch_size=None,
                             max_epochs=150, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0 and clf.loss_curve_[-1] < 0.1
    assert type(clf.model_.layers[1]).__name__ == "Conv2D" and not clf.model_.layers[1].need_dx
