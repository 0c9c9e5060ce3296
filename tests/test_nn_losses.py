"""Softmax and the fused softmax cross-entropy: stable, right values, right gradient."""

import numpy as np
import pytest

from kaggle_mnist.nn import SoftmaxCrossEntropy, log_softmax, softmax
from kaggle_mnist.nn.gradcheck import numerical_gradient, relative_error


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_softmax_cross_entropy_gradient(smoothing):
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(7, 4)), rng.integers(0, 4, 7)
    loss = SoftmaxCrossEntropy(smoothing)
    loss.forward(z, y)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(z, y), z)
    assert relative_error(analytic, numeric) < 1e-6


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
