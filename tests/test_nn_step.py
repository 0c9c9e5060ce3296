"""The plain training step: forward, loss, backward, the optimizer's update."""

import numpy as np
import pytest

from kaggle_mnist.nn import SGD, Dense, PlainStep, ReLU, Sequential, SoftmaxCrossEntropy


def net(seed):
    rng = np.random.default_rng(seed)
    return Sequential([Dense(784, 32, rng, dtype=np.float64), ReLU(), Dense(32, 10, rng, dtype=np.float64)])


def test_plain_step_is_forward_loss_backward_update():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 784)), rng.integers(0, 10, 6)
    model, reference = net(0), net(0)
    step = PlainStep(model, SoftmaxCrossEntropy(), SGD(0.5))
    loss, logits = step.step(x, y)
    loss_fn = SoftmaxCrossEntropy()
    expected_loss = loss_fn.forward(reference.forward(x, training=True), y)
    assert loss == pytest.approx(expected_loss, rel=1e-12) and logits.shape == (6, 10)
    reference.backward(loss_fn.backward())
    for name, p in reference.params().items():  # one SGD step by hand: p - 0.5 * grad
        np.testing.assert_allclose(model.params()[name], p - 0.5 * reference.grads()[name], rtol=1e-12)
        assert not np.allclose(model.params()[name], p)  # the step moved every parameter


def test_a_step_with_a_loss_that_is_not_finite_changes_nothing():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 784)), rng.integers(0, 10, 4)
    x[0, 0] = np.inf  # the logits, and so the loss, are not finite
    model = net(0)
    before = {name: p.copy() for name, p in model.params().items()}
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 in the first product
        loss, _ = PlainStep(model, SoftmaxCrossEntropy(), SGD(0.5)).step(x, y)
    assert not np.isfinite(loss)
    assert all(np.array_equal(model.params()[name], p) for name, p in before.items())


def test_predict_is_the_inference_forward_pass():
    x = np.random.default_rng(3).normal(size=(5, 784))
    model = net(0)
    np.testing.assert_array_equal(PlainStep(model).predict(x), model.forward(x))
