"""Each optimizer one step against its formula."""

import numpy as np
import pytest

from kaggle_mnist.nn import SGD, Adam, AdamW, make_optimizer


def one_param(value=(1.0, -2.0), grad=(0.5, 0.25)):
    p = {"w": np.array([list(value)])}  # 2-d: weight decay applies
    g = {"w": np.array([list(grad)])}
    return p, g


def test_sgd_step():
    p, g = one_param()
    SGD(lr=0.1).step(p, g)
    np.testing.assert_allclose(p["w"], [[1 - 0.05, -2 - 0.025]])


def test_sgd_momentum_two_steps_and_weight_decay():
    p, g = one_param()
    opt = SGD(lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step(p, g)  # v1 = g + wd p0
    v1 = np.array([[0.5 + 0.01 * 1, 0.25 + 0.01 * -2]])
    p1 = np.array([[1.0, -2.0]]) - 0.1 * v1
    np.testing.assert_allclose(p["w"], p1)
    opt.step(p, g)  # v2 = 0.9 v1 + g + wd p1
    v2 = 0.9 * v1 + np.array([[0.5, 0.25]]) + 0.01 * p1
    np.testing.assert_allclose(p["w"], p1 - 0.1 * v2)


def test_nesterov_step():
    p, g = one_param()
    opt = SGD(lr=0.1, momentum=0.9, nesterov=True)
    opt.step(p, g)
    opt.step(p, g)
    gv = np.array([[0.5, 0.25]])
    v1, v2 = gv, 0.9 * gv + gv
    expected = np.array([[1.0, -2.0]]) - 0.1 * (gv + 0.9 * v1) - 0.1 * (gv + 0.9 * v2)
    np.testing.assert_allclose(p["w"], expected)


def textbook_adam(p, grads, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    m = v = 0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


def test_adam_two_steps_with_bias_correction():
    p = {"w": np.array([[1.0, -2.0, 3.0]])}
    g1, g2 = np.array([[0.5, -0.1, 1e-4]]), np.array([[0.2, 0.3, -1e-4]])
    opt = Adam(lr=0.01)
    opt.step(p, {"w": g1})
    np.testing.assert_allclose(p["w"], textbook_adam(np.array([[1.0, -2.0, 3.0]]), [g1], lr=0.01), rtol=1e-12)
    opt.step(p, {"w": g2})
    np.testing.assert_allclose(p["w"], textbook_adam(np.array([[1.0, -2.0, 3.0]]), [g1, g2], lr=0.01), rtol=1e-12)
    # Bias correction makes the first step lr * sign(g), whatever the gradient's size.
    q = {"w": np.array([[0.0, 0.0]])}
    Adam(lr=0.01).step(q, {"w": np.array([[1e-3, -50.0]])})
    np.testing.assert_allclose(q["w"], [[-0.01, 0.01]], rtol=1e-4)


def test_adam_l2_and_adamw_decoupled_decay():
    p0 = np.array([[1.0, -2.0]])
    g = np.array([[0.5, 0.25]])
    p = {"w": p0.copy()}
    Adam(lr=0.01, weight_decay=0.1).step(p, {"w": g})
    np.testing.assert_allclose(p["w"], textbook_adam(p0, [g + 0.1 * p0], lr=0.01))
    p = {"w": p0.copy(), "b": np.array([1.0])}
    AdamW(lr=0.01, weight_decay=0.1).step(p, {"w": g, "b": np.array([0.5])})
    np.testing.assert_allclose(p["w"], textbook_adam(p0 * (1 - 0.01 * 0.1), [g], lr=0.01))
    np.testing.assert_allclose(p["b"], textbook_adam(np.array([1.0]), [np.array([0.5])], lr=0.01))  # no decay


def test_state_is_kept_per_parameter_name():
    opt = Adam()
    p = {"a": np.zeros((2, 2)), "b": np.zeros(3)}
    opt.step(p, {"a": np.ones((2, 2)), "b": np.ones(3)})
    assert set(opt.state) == {"a", "b"} and opt.state["a"]["M"].shape == (2, 2)


def test_make_optimizer_names():
    assert isinstance(make_optimizer("adamw", 0.1), AdamW)
    assert make_optimizer("nesterov", 0.1).nesterov
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("rmsprop", 0.1)


@pytest.mark.parametrize("make", [lambda: Adam(lr=1e-3), lambda: SGD(lr=1e-3, momentum=0.9)], ids=["adam", "momentum"])
def test_buffers_never_become_denormal(make):
    """A zero gradient step after step decays the moment buffers; denormals are ~100x slower."""
    opt = make()
    p = {"w": np.ones((1, 4), np.float32)}
    opt.step(p, {"w": np.full((1, 4), 1e-3, np.float32)})
    for _ in range(800):  # 1e-3 * 0.9**800 ~ 2e-40: denormal without flushing
        opt.step(p, {"w": np.zeros((1, 4), np.float32)})
    tiny = np.finfo(np.float32).tiny
    for a in opt.state["w"].values():
        assert not ((a != 0) & (np.abs(a) < tiny)).any()
