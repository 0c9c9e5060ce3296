"""The gradient checker itself: it must pass a right gradient and catch a wrong one."""

import numpy as np

from kaggle_mnist.nn import Dense
from kaggle_mnist.nn.gradcheck import check_layer, numerical_gradient, relative_error


def test_numerical_gradient_of_a_known_function_and_x_is_restored():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * before**2, rtol=1e-8)
    assert np.array_equal(x, before)


def test_relative_error_scale():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0
    assert relative_error([1.0], [-1.0]) == 1.0


def test_check_layer_catches_a_wrong_gradient():
    class WrongDense(Dense):
        def backward(self, dout):
            dx = super().backward(dout)
            self.grads["W"] *= 1.01  # 1% off
            return dx

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5))
    right = check_layer(Dense(5, 4, np.random.default_rng(1), dtype=np.float64), x, rng)
    wrong = check_layer(WrongDense(5, 4, np.random.default_rng(1), dtype=np.float64), x, rng)
    assert max(right.values()) < 1e-8 and wrong["W"] > 1e-3 and wrong["x"] < 1e-8
