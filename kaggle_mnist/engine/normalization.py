"""A faster :class:`~kaggle_mnist.nn.layers.BatchNorm` for the engine.

The textbook layer writes its maths as it reads: the batch mean, the variance, x minus
the mean, times one over the standard deviation, times gamma, plus beta: each a pass
over the (N, H, W, C) maps with an array of their size, nine in the forward pass. On
the ``cnn`` architecture's 28x28x32 maps, 128 images, that is 3.2 million values, and
BatchNorm took longer than the convolution before it. :class:`FastBatchNorm` computes
the same numbers in fewer passes: it keeps x minus the mean (not x_hat), takes the
sums of squares and of products as one ``einsum`` pass each without a temporary
array, and folds the per-channel factors together before touching the maps: on those
maps, one thread, forward 8.5 ms against 20.5, backward 12.9 against 17.4.

When the engine splits a batch over two threads, each half's layer is a
:class:`SyncBatchNorm`: the halves meet (:class:`Meeting`) to add up their sums, so
both normalise with the whole batch's statistics, as the textbook layer does.
"""

import threading

import numpy as np

from kaggle_mnist.engine.twin import Twin
from kaggle_mnist.nn import BatchNorm


def channel_sum(a):
    """sum over rows, per column: (M, C) -> (C,). (einsum: 4x faster than a.sum(axis=0) on
    100,352 x 32 float32 values, which adds the rows one after another.)"""
    return np.einsum("ij->j", a)


def channel_dot(a, b):
    """sum over rows of a * b, per column: (M, C), (M, C) -> (C,), in one pass."""
    return np.einsum("ij,ij->j", a, b)


def input_gradient(d2, centred, scale, inv_std, beta_grad, gamma_grad, m):
    """dx = scale * (dout - mean(dout) - x_hat * mean(dout * x_hat)), x_hat = centred * inv_std,
    the means over the batch's m rows given as sums (the gradients of beta and gamma);
    four passes over the (M, C) maps, one new array."""
    dx = centred * (inv_std * gamma_grad / m)
    dx += beta_grad / m
    np.subtract(d2, dx, out=dx)
    dx *= scale
    return dx


class FastBatchNorm(Twin, BatchNorm):
    """:class:`~kaggle_mnist.nn.layers.BatchNorm` over the last axis, in fewer passes.

    Same parameters, gradients, running statistics and numbers as the textbook layer
    (the tests hold it to them); only for ``channel_axis`` the last axis. The batch's
    sums are taken by :meth:`moments` and :meth:`gradient_totals`, which
    :class:`SyncBatchNorm` replaces by sums over every part of a split batch.
    """

    def forward(self, x, training=False):
        x2 = x.reshape(-1, x.shape[-1])  # (M, C): every position of every image a row
        gamma, beta = self.params["gamma"], self.params["beta"]
        self.batch_statistics = training
        if not training:  # the running statistics: an affine map per channel
            mean, var = self.buffers["running_mean"], self.buffers["running_var"]
            self.x2 = x2  # centred only if a backward pass asks
            self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
            scale = gamma * self.inv_std
            out = x2 * scale
            out += beta - mean * scale
            return out.reshape(x.shape)
        mean, var = self.moments(x2)
        self.keep_running(mean, var)
        self.inv_std = (1 / np.sqrt(var + self.eps)).astype(x.dtype)
        out = self.centred * (gamma * self.inv_std)
        out += beta
        return out.reshape(x.shape)

    def moments(self, x2):
        """The batch's mean and variance per channel, (C,) each, of x2 (M, C); keeps
        x2 minus the mean (``centred``) and the row count ``m`` for backward."""
        self.m = len(x2)
        mean = channel_sum(x2) / self.m
        self.centred = x2 - mean  # (M, C)
        return mean, channel_dot(self.centred, self.centred) / self.m

    def keep_running(self, mean, var):
        """Move the running statistics towards this batch's."""
        for name, value in (("running_mean", mean), ("running_var", var)):
            self.buffers[name] *= self.momentum
            self.buffers[name] += (1 - self.momentum) * value

    def gradient_totals(self, beta_grad, gamma_grad):
        """The batch's sums of dout and of dout * x_hat per channel (those gradients)."""
        return beta_grad, gamma_grad

    def backward(self, dout):
        d2 = dout.reshape(-1, dout.shape[-1])  # (M, C)
        centred = self.centred if self.batch_statistics else self.x2 - self.buffers["running_mean"]
        self.grads["beta"][...] = channel_sum(d2)
        self.grads["gamma"][...] = channel_dot(d2, centred) * self.inv_std  # sum of dout * x_hat
        if not self.need_dx:
            return None
        scale = self.params["gamma"] * self.inv_std
        if not self.batch_statistics:  # fixed mean and std: an affine map of x
            return (d2 * scale).reshape(dout.shape)
        beta_total, gamma_total = self.gradient_totals(self.grads["beta"], self.grads["gamma"])
        dx = input_gradient(d2, centred, scale, self.inv_std, beta_total, gamma_total, self.m)
        return dx.reshape(dout.shape)


class Meeting:
    """Where the threads of a split batch add up their per-channel sums.

    ``total(part, value)`` waits until every part has brought its value and returns the
    sum (added in part order, so every thread gets the same numbers). Two alternating
    sets of slots let one barrier per meeting suffice: a part writes the next meeting's
    slots only after all have arrived at this one, and overwrites this one's only after
    all have arrived at the next, by when they have read them. Each part counts its own
    meetings (all parts go to the same ones, in the same order).
    """

    def __init__(self, parties=2):
        self.expect(parties)

    def expect(self, parties):
        """Set how many parts come from now on (call while no thread is inside)."""
        self.parties = parties
        self._barrier = threading.Barrier(parties)
        self._slots = [[None] * parties, [None] * parties]
        self._rounds = [0] * parties

    def total(self, part, value):
        if self.parties == 1:
            return value
        slots = self._slots[self._rounds[part] % 2]
        self._rounds[part] += 1
        slots[part] = value
        self._barrier.wait()
        return sum(slots[1:], slots[0])

    def abort(self):
        """Release the parts waiting for one that failed (they get BrokenBarrierError)."""
        self._barrier.abort()


class SyncBatchNorm(FastBatchNorm):
    """:class:`FastBatchNorm` for part ``part`` of a batch split over threads.

    Training needs the whole batch's mean and variance, and the input gradient needs
    two sums over the whole batch; each part brings its own sums to ``meeting`` and
    takes the totals, so every part computes what the whole-batch layer would. The
    gradients of gamma and beta stay this part's own (the engine adds the parts'
    gradients). Only part 0 updates the shared running statistics.
    """

    @classmethod
    def part_of(cls, layer, part, meeting):
        fast = cls.like(layer)
        fast.part, fast.meeting = part, meeting
        return fast

    def moments(self, x2):
        counted = self.meeting.total(self.part, np.concatenate([[len(x2)], channel_sum(x2)]))
        self.m = int(counted[0])  # a Python int: a NumPy float64 would make float32 maps float64
        mean = (counted[1:] / self.m).astype(x2.dtype)
        self.centred = x2 - mean
        var = self.meeting.total(self.part, channel_dot(self.centred, self.centred)) / self.m
        return mean, var.astype(x2.dtype)

    def keep_running(self, mean, var):
        if self.part == 0:
            super().keep_running(mean, var)

    def gradient_totals(self, beta_grad, gamma_grad):
        c = len(beta_grad)
        totals = self.meeting.total(self.part, np.concatenate([beta_grad, gamma_grad]))
        return totals[:c], totals[c:]
