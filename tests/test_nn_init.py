"""Initialisers: the scale each one promises, drawn from the generator it is given."""

import numpy as np
import pytest

from kaggle_mnist.nn.init import initialize


def test_he_normal_has_variance_two_over_fan_in():
    w = initialize("he", np.random.default_rng(0), (400, 300), 400, 300, np.float64)
    assert w.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02) and abs(w.mean()) < 1e-3


def test_glorot_uniform_stays_within_its_limit_and_fills_it():
    w = initialize("glorot", np.random.default_rng(0), (200, 100), 200, 100, np.float32)
    limit = np.sqrt(6 / 300)
    assert w.dtype == np.float32 and np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


def test_uniform_half_is_the_tutorials_rand_minus_a_half():
    w = initialize("uniform", np.random.default_rng(3), (10, 10), 10, 10, np.float64)
    np.testing.assert_array_equal(w, np.random.default_rng(3).random((10, 10)) - 0.5)


def test_same_generator_state_same_weights_and_unknown_name():
    a = initialize("he", np.random.default_rng(5), (3, 4), 3, 4)
    b = initialize("he", np.random.default_rng(5), (3, 4), 3, 4)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="init must be one of"):
        initialize("orthogonal", np.random.default_rng(0), (2, 2), 2, 2)
