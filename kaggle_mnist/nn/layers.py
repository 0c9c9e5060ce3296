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

Shapes: ``N`` samples; ``D`` features for dense data; ``(N, H, W, C)`` for images
(channels last: see ``conv.py``).
"""

import numpy as np

from kaggle_mnist.nn.init import initialize


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

    Backward, for ``dout`` = d loss / d out (N, D_out):

        dW = x.T @ dout        (D_in, N) @ (N, D_out): every sample's outer product, summed
        db = dout summed over the samples
        dx = dout @ W.T        (N, D_out) @ (D_out, D_in): what the layer below receives
    """

    def __init__(self, n_in, n_out, rng, init="he", dtype=np.float32):
        super().__init__()
        self.params["W"] = initialize(init, rng, (n_in, n_out), n_in, n_out, dtype)
        if init == "uniform":  # the tutorial draws its biases too
            self.params["b"] = initialize(init, rng, (n_out,), n_in, n_out, dtype)
        else:
            self.params["b"] = np.zeros(n_out, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, training=False):
        self.x = x  # kept for dW
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        # written into the arrays in ``grads``, not replacing them (they are the same
        # arrays from step to step: the optimizer keeps them by name)
        np.matmul(self.x.T, dout, out=self.grads["W"])
        np.sum(dout, axis=0, out=self.grads["b"])
        return dout @ self.params["W"].T if self.need_dx else None

    def __repr__(self):
        n_in, n_out = self.params["W"].shape
        return f"Dense({n_in}, {n_out})"


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
    """Batch normalisation over features (N, D) or the channels of images (N, H, W, C).

    ``channel_axis``: the axis of the features, 1 for (N, D) and -1 for images (the
    convolution layers' channels-last layout). Statistics are taken over every other axis.

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
        self.batch_statistics = training  # backward differs: see there
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
        self.x_hat = (x - mean.reshape(shape)) * self.inv_std.reshape(shape)
        return self.x_hat * self.params["gamma"].reshape(shape) + self.params["beta"].reshape(shape)

    def backward(self, dout):
        axes, shape = self._axes_and_shape(dout)
        m = dout.size // self.params["gamma"].size  # values averaged per feature
        self.grads["gamma"][...] = (dout * self.x_hat).sum(axis=axes)
        self.grads["beta"][...] = dout.sum(axis=axes)
        if not self.need_dx:
            return None
        scale = (self.params["gamma"] * self.inv_std).reshape(shape)
        if not self.batch_statistics:  # fixed mean and std: an affine map of x
            return scale * dout
        # d loss / d x for x_hat = (x - mean) / std with the batch's own mean and std,
        # which depend on x too:
        # dx = gamma / std * (dout - mean(dout) - x_hat * mean(dout * x_hat))
        return scale * (
            dout
            - (self.grads["beta"] / m).reshape(shape)
            - self.x_hat * (self.grads["gamma"] / m).reshape(shape)
        )

    def __repr__(self):
        return f"BatchNorm({self.params['gamma'].size})"


class Flatten(Layer):
    """(N, H, W, C) -> (N, H*W*C)."""

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


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "logistic": Sigmoid, "tanh": Tanh}
