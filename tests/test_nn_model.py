"""Sequential: the whole model's gradient, the skipped input gradient, state round trip."""

import numpy as np
import pytest

from kaggle_mnist.nn import (
    BatchNorm, Dense, Dropout, LeakyReLU, ReLU, Sequential, SoftmaxCrossEntropy, Tanh,
)
from kaggle_mnist.nn.gradcheck import check_model

F64 = np.float64


def test_dense_first_layer_skips_input_gradient():
    rng = np.random.default_rng(0)
    model = Sequential([Dense(4, 3, rng, dtype=F64), ReLU(), Dense(3, 2, rng, dtype=F64)])
    model.forward(rng.normal(size=(5, 4)), training=True)
    assert model.backward(rng.normal(size=(5, 2))) is None
    assert np.abs(model.grads()["0.W"]).sum() > 0


def test_whole_model_gradient():
    rng = np.random.default_rng(2)
    # BatchNorm after the activation: a bias right before BatchNorm has zero gradient.
    model = Sequential([Dense(6, 5, rng, dtype=F64), Tanh(), BatchNorm(5, dtype=F64), Dense(5, 4, rng, dtype=F64),
                        LeakyReLU(0.1), Dense(4, 3, rng, dtype=F64)])
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, 8)
    errors = check_model(model, SoftmaxCrossEntropy(), x, y)
    assert len(errors) == 8 and max(errors.values()) < 1e-6, errors


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
