"""Convolution and pooling for images, channels last: x is (N, H, W, C).

Why channels last (NHWC) and not NCHW: a convolution here is one matrix product. The
input patches are laid out as rows, ``cols`` (N*Ho*Wo, k*k*C), and multiplied by the
filters (k*k*C, F). In NHWC:

- the patch matrix is a strided *view* of the padded input (``as_strided``: every
  patch starts ``stride`` pixels after the last), made contiguous by one copy whose
  innermost runs are whole channel vectors;
- the product (N*Ho*Wo, F) already *is* the output in NHWC, and the weight gradient
  ``cols.T @ dout`` needs no reshuffling either.

In NCHW the same products need transposes before and after each one, and those copies
cost more than the products (measured for this project: 6-8x PyTorch's time, of which
the products were 1.4x).

The backward pass of the input (col2im) adds each kernel offset's share of the input
gradient back into place: a loop over the k*k offsets (25 for a 5x5 kernel), never
over pixels or samples. Each fast layer has a ``*_naive`` loop version that the tests
compare it with.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kaggle_mnist.nn.init import initialize
from kaggle_mnist.nn.layers import Layer


def out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def im2col(xp, k, stride):
    """Patches of a padded batch: xp (N, Hp, Wp, C) -> (N, Ho, Wo, k, k, C), a view.

    Element [n, i, j, a, b, c] is xp[n, i*stride + a, j*stride + b, c]: no copy is made.
    """
    n, hp, wp, c = xp.shape
    ho, wo = (hp - k) // stride + 1, (wp - k) // stride + 1
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, (n, ho, wo, k, k, c), (sn, sh * stride, sw * stride, sh, sw, sc), writeable=False)


class Conv2D(Layer):
    """2-D convolution: x (N, H, W, C) -> out (N, Ho, Wo, F).

    W: (k, k, C, F), b: (F,). ``padding`` zeros on every side; ``stride`` between
    patches. Ho = (H + 2 padding - k) // stride + 1.
    """

    def __init__(self, c_in, c_out, kernel, rng, stride=1, padding=0, init="he", dtype=np.float32):
        super().__init__()
        self.k, self.stride, self.padding = kernel, stride, padding
        fan_in, fan_out = kernel * kernel * c_in, kernel * kernel * c_out
        self.params["W"] = initialize(init, rng, (kernel, kernel, c_in, c_out), fan_in, fan_out, dtype)
        self.params["b"] = np.zeros(c_out, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward(self, x, training=False):
        p = self.padding
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))) if p else x
        patches = im2col(xp, self.k, self.stride)  # (N, Ho, Wo, k, k, C) view
        n, ho, wo = patches.shape[:3]
        self.padded_shape = xp.shape
        self.cols = patches.reshape(n * ho * wo, -1)  # the one copy: (N*Ho*Wo, k*k*C)
        W = self.params["W"]
        out = self.cols @ W.reshape(-1, W.shape[-1])  # (N*Ho*Wo, F)
        out += self.params["b"]
        return out.reshape(n, ho, wo, -1)

    def backward(self, dout):
        W = self.params["W"]
        d2 = dout.reshape(-1, W.shape[-1])  # (N*Ho*Wo, F)
        np.matmul(self.cols.T, d2, out=self.grads["W"].reshape(-1, W.shape[-1]))
        np.sum(d2, axis=0, out=self.grads["b"])
        return self.input_gradient(dout) if self.need_dx else None

    def input_gradient(self, dout):
        """dout (N, Ho, Wo, F) -> dx (N, H, W, C), by col2im: each kernel offset (a, b)
        sends ``d2 @ W[a, b].T``, the gradient of the input pixels it touched, back to
        where they came from. One product per offset keeps every add reading contiguous
        memory (and never materialises the (N*Ho*Wo, k*k*C) patch gradient): twice as
        fast as one big product and a strided scatter."""
        W = self.params["W"]
        n, ho, wo = dout.shape[:3]
        d2 = dout.reshape(-1, W.shape[-1])  # (N*Ho*Wo, F)
        s = self.stride
        dxp = np.zeros(self.padded_shape, dtype=dout.dtype)
        for a in range(self.k):
            for b in range(self.k):
                dxp[:, a:a + s * ho:s, b:b + s * wo:s, :] += (d2 @ W[a, b].T).reshape(n, ho, wo, -1)
        p = self.padding
        return dxp[:, p:dxp.shape[1] - p, p:dxp.shape[2] - p, :] if p else dxp

    def __repr__(self):
        k, _, c, f = self.params["W"].shape
        return f"Conv2D({c}, {f}, kernel={k}, stride={self.stride}, padding={self.padding})"


class MaxPool2D(Layer):
    """Max over non-overlapping ``size`` x ``size`` windows: (N, H, W, C) -> (N, H//size, W//size, C).

    Rows and columns left over when H or W is not a multiple of ``size`` are dropped.
    The gradient goes to the window's maximum; tied maxima share it equally (a valid
    subgradient; ties are rare except among the zeros after a ReLU, whose gradient
    the ReLU discards anyway).
    """

    def __init__(self, size=2):
        super().__init__()
        self.size = size

    def _windows(self, x):
        """The size*size strided slices of x, one per offset in the window."""
        s = self.size
        ho, wo = x.shape[1] // s, x.shape[2] // s
        return [x[:, a:a + s * ho:s, b:b + s * wo:s, :] for a in range(s) for b in range(s)]

    def forward(self, x, training=False):
        self.x = x
        slices = self._windows(x)
        out = slices[0].copy()
        for sl in slices[1:]:
            np.maximum(out, sl, out=out)
        self.out = out
        return out

    def backward(self, dout):
        masks = [sl == self.out for sl in self._windows(self.x)]  # where each offset holds the maximum
        count = sum(mask.view(np.uint8) for mask in masks)  # how many tied maxima per window (>= 1)
        share = dout / count
        s = self.size
        whole = self.x.shape[1] % s == 0 and self.x.shape[2] % s == 0  # else leftover rows get no gradient
        dx = (np.empty_like if whole else np.zeros_like)(self.x, dtype=dout.dtype)
        for dx_slice, mask in zip(self._windows(dx), masks):
            np.multiply(share, mask, out=dx_slice)
        return dx

    def __repr__(self):
        return f"MaxPool2D({self.size})"


class GlobalAvgPool(Layer):
    """Mean over all positions: (N, H, W, C) -> (N, C)."""

    def forward(self, x, training=False):
        self.shape = x.shape
        return x.mean(axis=(1, 2))

    def backward(self, dout):
        n, h, w, c = self.shape
        return np.broadcast_to(dout[:, None, None, :] / (h * w), self.shape).copy()


# ------------------------------------------------------------------ naive oracles
def conv2d_naive(x, W, b, stride=1, padding=0):
    """Reference convolution by explicit loops over samples and output pixels."""
    k, _, c, f = W.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    n, hp, wp, _ = xp.shape
    ho, wo = (hp - k) // stride + 1, (wp - k) // stride + 1
    out = np.zeros((n, ho, wo, f), dtype=np.float64)
    for i in range(n):
        for r in range(ho):
            for s in range(wo):
                patch = xp[i, r * stride:r * stride + k, s * stride:s * stride + k, :]  # (k, k, C)
                out[i, r, s] = np.tensordot(patch, W, axes=3) + b
    return out


def maxpool_naive(x, size=2):
    """Reference max pooling by explicit loops."""
    n, h, w, c = x.shape
    ho, wo = h // size, w // size
    out = np.zeros((n, ho, wo, c), dtype=x.dtype)
    for i in range(n):
        for r in range(ho):
            for s in range(wo):
                out[i, r, s] = x[i, r * size:(r + 1) * size, s * size:(s + 1) * size].max(axis=(0, 1))
    return out
