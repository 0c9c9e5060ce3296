"""Layers: each knows only its own maths.

The contract, after CS231n's ``layers.py``:

- ``forward(x, training=False) -> out`` keeps what the backward pass will need;
- ``backward(dout) -> dx`` takes the loss gradient with respect to ``out``, writes the
  gradients of the layer's parameters into ``grads`` (same keys as ``params``) and
  returns the gradient with respect to ``x``;
- ``buffers`` holds state that is saved with the model but not trained (BatchNorm's
  running statistics).

A layer whose ``need_dx`` is False (the network's first) returns None from backward:
the gradient with respect to the input images is never used, and for the first Dense
layer it would cost a third of the whole backward pass.

Shapes: ``N`` samples; ``D`` features for dense data; ``(N, C, H, W)`` for images.
"""

from functools import partial

import numpy as np

from kaggle_mnist.nn.init import initialize
from kaggle_mnist.nn.parallel import SERIAL


class Layer:
    """Base class: no parameters, identity maths."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self.buffers = {}
        self.need_dx = True

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Dense(Layer):
    """Fully connected: ``out = x @ W + b``.

    x: (N, D_in) -> out: (N, D_out); W: (D_in, D_out), b: (D_out,).

    ``blocks=2`` computes the product in two blocks of rows of W,
    ``x[:, :k] @ W[:k] + x[:, k:] @ W[k:]``, so that in training each block can have
    a thread of its own (``workers``; see :mod:`kaggle_mnist.nn.parallel`). It is the
    same product, rounded a little differently, whatever the number of threads.
    """

    def __init__(self, n_in, n_out, rng, init="he", dtype=np.float32, blocks=1):
        super().__init__()
        self.params["W"] = initialize(init, rng, (n_in, n_out), n_in, n_out, dtype)
        if init == "uniform":  # the tutorial draws its biases too
            self.params["b"] = initialize(init, rng, (n_out,), n_in, n_out, dtype)
        else:
            self.params["b"] = np.zeros(n_out, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        bounds = [n_in * i // blocks for i in range(blocks + 1)]
        self.row_blocks = [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]
        self.workers = None  # None: the calling thread computes every block

    def _run(self, tasks):
        return (self.workers or SERIAL).run(tasks)

    def forward(self, x, training=False):
        self.x = x
        W = self.params["W"]
        parts = self._run([partial(np.matmul, x[:, rows], W[rows]) for rows in self.row_blocks])
        out = parts[0]
        for part in parts[1:]:
            out += part
        out += self.params["b"]
        return out

    def backward(self, dout, then=None):
        """``then``: optional tasks, one per block, each run on the block's thread
        right after it (``Sequential.backward`` passes the optimizer's updates)."""
        W, dW = self.params["W"], self.grads["W"]
        dx = np.empty((len(dout), len(W)), np.result_type(dout, W)) if self.need_dx else None
        np.sum(dout, axis=0, out=self.grads["b"])

        def block(rows, then=None):  # these rows of dW, and the columns of dx that go with them
            np.matmul(self.x[:, rows].T, dout, out=dW[rows])  # (D_rows, N) @ (N, D_out)
            if dx is not None:
                np.matmul(dout, W[rows].T, out=dx[:, rows])  # (N, D_out) @ (D_out, D_rows)
            if then is not None:
                then()

        self._run([partial(block, rows, task) for rows, task in zip(self.row_blocks, then or [None] * len(self.row_blocks))])
        return dx

    def __repr__(self):
        n_in, n_out = self.params["W"].shape
        blocks = f", blocks={len(self.row_blocks)}" if len(self.row_blocks) > 1 else ""
        return f"Dense({n_in}, {n_out}{blocks})"


class ReLU(Layer):
    """``max(x, 0)``; the gradient passes where the input was positive."""

    def forward(self, x, training=False):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return dout * (self.out > 0)


class LeakyReLU(Layer):
    """``x`` where positive, ``alpha * x`` elsewhere: negative inputs still learn."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = alpha

    def forward(self, x, training=False):
        self.positive = x > 0
        return np.where(self.positive, x, x * x.dtype.type(self.alpha))

    def backward(self, dout):
        return np.where(self.positive, dout, dout * dout.dtype.type(self.alpha))

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``, with derivative ``out * (1 - out)``."""

    def forward(self, x, training=False):
        # exp of a large positive number overflows; write it with exp(-|x|) <= 1 only.
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Tanh(Layer):
    """``tanh(x)``, with derivative ``1 - out**2``."""

    def forward(self, x, training=False):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out * self.out)


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale
    the survivors by ``1 / (1 - p)``, so that at test time the layer is the identity.

    The mask is drawn from the generator given here, so a seeded run repeats exactly.
    """

    def __init__(self, p, rng):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p = p
        self.rng = rng

    def forward(self, x, training=False):
        if not training or self.p == 0:
            self.mask = None
            return x
        keep = 1 - self.p
        self.mask = (self.rng.random(x.shape, dtype=np.float32) < keep).astype(x.dtype)
        self.mask *= x.dtype.type(1 / keep)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask

    def __repr__(self):
        return f"Dropout(p={self.p})"


class BatchNorm(Layer):
    """Batch normalisation over features (N, D) or the channels of images.

    ``channel_axis``: 1 for (N, D) and NCHW images, -1 for NHWC images (the
    convolution layers' layout). Statistics are taken over every other axis.

    Training: normalise with the batch's mean and variance, then scale by ``gamma``
    and shift by ``beta``; keep exponential running averages of the statistics.
    Inference: use the running averages, so a sample's output does not depend on its
    batch (Ioffe & Szegedy, 2015).
    """

    def __init__(self, n_features, momentum=0.9, eps=1e-5, dtype=np.float32, channel_axis=1):
        super().__init__()
        self.momentum, self.eps, self.channel_axis = momentum, eps, channel_axis
        self.params = {"gamma": np.ones(n_features, dtype), "beta": np.zeros(n_features, dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.buffers = {"running_mean": np.zeros(n_features, dtype), "running_var": np.ones(n_features, dtype)}

    def _axes_and_shape(self, x):
        axis = self.channel_axis % x.ndim
        shape = [1] * x.ndim
        shape[axis] = -1
        return tuple(i for i in range(x.ndim) if i != axis), tuple(shape)

    def forward(self, x, training=False):
        axes, shape = self._axes_and_shape(x)
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            m = self.momentum
            self.buffers["running_mean"] *= m
            self.buffers["running_mean"] += (1 - m) * mean
            self.buffers["running_var"] *= m
            self.buffers["running_var"] += (1 - m) * var
        else:
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
        self.x_hat = (x - mean.reshape(shape)) * self.inv_std.reshape(shape)
        return self.x_hat * self.params["gamma"].reshape(shape) + self.params["beta"].reshape(shape)

    def backward(self, dout):
        axes, shape = self._axes_and_shape(dout)
        m = dout.size // dout.shape[1]  # values per feature
        self.grads["gamma"][...] = (dout * self.x_hat).sum(axis=axes)
        self.grads["beta"][...] = dout.sum(axis=axes)
        if not self.need_dx:
            return None
        # d loss / d x for x_hat = (x - mean) / std with the batch's own mean and std:
        # dx = gamma / std * (dout - mean(dout) - x_hat * mean(dout * x_hat))
        scale = (self.params["gamma"] * self.inv_std).reshape(shape)
        return scale * (
            dout
            - (self.grads["beta"] / m).reshape(shape)
            - self.x_hat * (self.grads["gamma"] / m).reshape(shape)
        )

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].size})"


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W)."""

    def forward(self, x, training=False):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class Reshape(Layer):
    """(N, D) -> (N, *shape): turns flat pixel rows into images for convolutions."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x, training=False):
        return x.reshape(len(x), *self.shape)

    def backward(self, dout):
        return dout.reshape(len(dout), -1)

    def __repr__(self):
        return f"Reshape{self.shape}"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
