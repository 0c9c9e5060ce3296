"""Weight initialisers. Each takes an explicit ``numpy.random.Generator``.

Why the scale matters: a layer sums ``fan_in`` products, so weights of variance ``v``
give outputs of variance about ``fan_in * v`` times the input's. Keeping that near 1
keeps signals (and gradients) from exploding or vanishing with depth.

- He (Kaiming) normal, ``std = sqrt(2 / fan_in)``: for ReLU, which zeroes half the
  signal, hence the 2 (He et al., 2015).
- Glorot (Xavier) uniform, ``limit = sqrt(6 / (fan_in + fan_out))``: for tanh and
  sigmoid, balancing the forward and backward passes (Glorot & Bengio, 2010).
- Uniform on [-0.5, 0.5), weights and biases alike: what the classic from-scratch
  tutorial does (``np.random.rand(...) - 0.5``), kept so its preset reproduces.
"""

import numpy as np


def he_normal(rng, shape, fan_in, fan_out, dtype=np.float32):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


def glorot_uniform(rng, shape, fan_in, fan_out, dtype=np.float32):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def uniform_half(rng, shape, fan_in, fan_out, dtype=np.float32):
    return (rng.random(shape) - 0.5).astype(dtype)


INITIALIZERS = {"he": he_normal, "glorot": glorot_uniform, "uniform": uniform_half}


def initialize(name, rng, shape, fan_in, fan_out, dtype=np.float32):
    """Draw weights of ``shape`` with the initialiser called ``name``."""
    try:
        init = INITIALIZERS[name]
    except KeyError:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)}, got {name!r}") from None
    return init(rng, shape, fan_in, fan_out, dtype)
