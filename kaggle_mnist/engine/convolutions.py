"""Faster ways to compute :class:`~kaggle_mnist.nn.conv.Conv2D`, for the engine.

Each class here is a Conv2D (same parameters, same gradient arrays, same numbers
within float rounding; the tests hold each to the textbook layer) that computes its
products another way:

- :class:`ChunkedConv2D`: the textbook's patch matrix, a few images at a time, so that
  each chunk's patches stay in the core's cache between their copy and their product;
- :class:`SpectralConv2D`: the convolution theorem. A convolution is a product of
  spectra, frequency by frequency, so the k*k multiply-adds per pixel and channel pair
  become one complex multiply-add per frequency;
- :class:`FastConv2D`: whichever way is fastest for the layer and the input's shape:
  :class:`~kaggle_mnist.engine.winograd.WinogradConv2D` (``winograd.py``) for 3x3
  convolutions of more than one channel, else the cheaper of the other two.
"""

from functools import lru_cache

import numpy as np

from kaggle_mnist.engine.winograd import WinogradConv2D
from kaggle_mnist.engine.twin import Twin
from kaggle_mnist.nn import Conv2D
from kaggle_mnist.nn.conv import im2col


class ChunkedConv2D(Twin, Conv2D):
    """:class:`~kaggle_mnist.nn.conv.Conv2D`, computed a few images at a time.

    The textbook layer makes one patch matrix for the whole batch: (N*Ho*Wo, k*k*C),
    40 MB for 64 of the LeNet-like network's 14x14x32 maps with 5x5 filters, written
    once and read again from memory by the product. Here each ``chunk`` of images gets
    its own patch matrix, small enough to stay in the core's cache between its copy
    and its product, and the backward pass recomputes it instead of keeping it.

    The input gradient of a stride-1 convolution is itself a convolution: of the
    output gradient, padded by k-1-p, with the filters turned by 180 degrees and their
    in- and out-channels swapped. As one product per chunk it beats the textbook's
    k*k small products and strided adds (16.5 ms against 21 for a half batch).

    Same maths as Conv2D (the tests hold it to Conv2D's numbers); on a half batch of
    the LeNet-like network's second convolution, one thread: forward 13.4 ms against
    20.2, backward 29.5 against 36.6.
    """

    chunk = 4

    def _patches(self, xp, start):
        k, s = self.k, self.stride
        return im2col(xp[start:start + self.chunk], k, s).reshape(-1, k * k * xp.shape[3])

    def forward(self, x, training=False):
        p = self.padding
        self.xp = xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0))) if p else x
        W = self.params["W"].reshape(-1, self.params["W"].shape[-1])  # (k*k*C, F)
        n, ho, wo = len(x), (xp.shape[1] - self.k) // self.stride + 1, (xp.shape[2] - self.k) // self.stride + 1
        out = np.empty((n * ho * wo, W.shape[1]), np.result_type(x, W))
        per = ho * wo
        for a in range(0, n, self.chunk):
            np.matmul(self._patches(xp, a), W, out=out[a * per:(a + self.chunk) * per])
        out += self.params["b"]
        return out.reshape(n, ho, wo, -1)

    def backward(self, dout):
        xp, k, p = self.xp, self.k, self.padding
        n, ho, wo, f = dout.shape
        d2, per = dout.reshape(-1, f), ho * wo
        dW, part = self.grads["W"].reshape(-1, f), np.empty((k * k * xp.shape[3], f), dout.dtype)
        for a in range(0, n, self.chunk):
            np.matmul(self._patches(xp, a).T, d2[a * per:(a + self.chunk) * per], out=dW if a == 0 else part)
            if a:
                dW += part
        np.sum(d2, axis=0, out=self.grads["b"])
        if not self.need_dx:
            return None
        if self.stride != 1:
            self.padded_shape = xp.shape
            return self.input_gradient(dout)  # the textbook's col2im
        # dx = conv(dout padded by k-1-p, W turned 180 degrees, in/out swapped): (N, H, W, C)
        W_turned = self.params["W"][::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, xp.shape[3])  # (k*k*F, C)
        q = k - 1 - p
        dp = np.pad(dout, ((0, 0), (q, q), (q, q), (0, 0)))
        h, w = xp.shape[1] - 2 * p, xp.shape[2] - 2 * p
        dx = np.empty((n * h * w, xp.shape[3]), dout.dtype)
        for a in range(0, n, self.chunk):
            patches = im2col(dp[a:a + self.chunk], k, 1).reshape(-1, k * k * f)
            np.matmul(patches, W_turned, out=dx[a * h * w:(a + self.chunk) * h * w])
        return dx.reshape(n, h, w, -1)


# ------------------------------------------------------------------ the convolution theorem
@lru_cache(maxsize=64)
def dft_matrix(length, positions, n_freq, dtype):
    """Row u: exp(-2 pi i u m / length) at the signal's positions m -> (n_freq, len(positions)).

    A signal of ``len(positions)`` values set at those positions of a frame of ``length``
    zeros: ``dft_matrix(...) @ signal`` is the frame's discrete Fourier transform at the
    frequencies 0 .. n_freq - 1. The zeros around the signal (a convolution's padding)
    are never stored or multiplied.
    """
    u, m = np.arange(n_freq)[:, None], np.asarray(positions)[None, :]
    matrix = np.exp(-2j * np.pi * u * m / length).astype(dtype)
    matrix.flags.writeable = False
    return matrix


@lru_cache(maxsize=64)
def inverse_dft_matrix(length, positions, n_freq, dtype, half=False):
    """The inverse transform, kept only at ``positions`` -> (len(positions), n_freq).

    ``half``: the spectrum is given at frequencies 0 .. length // 2 only, the rest being
    their complex conjugates (the spectrum of a real signal); each frequency that stands
    for its conjugate too counts twice, and the real part of the result is the signal.
    """
    m, u = np.asarray(positions)[:, None], np.arange(n_freq)[None, :]
    matrix = np.exp(2j * np.pi * u * m / length) / length
    if half:
        twice = (u > 0) & (2 * u != length)  # 0 and length / 2 are their own conjugates
        matrix = matrix * np.where(twice, 2, 1)
    matrix = matrix.astype(dtype)
    matrix.flags.writeable = False
    return matrix


def to_spectrum(a, along_h, along_w):
    """a (N, H, W, C) real -> (V, U, N, C) complex, the 2-D DFT of each image's channels.

    ``along_w`` (V, W) and ``along_h`` (U, H) are :func:`dft_matrix` rows: one product
    along each axis. The result's leading (V, U) axes make each frequency's (N, C)
    matrix contiguous, ready for the channel products.
    """
    n, h, w, c = a.shape
    t = np.empty((w, h, n, c), along_w.dtype)
    t[...] = a.transpose(2, 1, 0, 3)  # (W, H, N, C), complex
    t = along_w @ t.reshape(w, -1)  # (V, H*N*C)
    t = np.matmul(along_h, t.reshape(len(along_w), h, n * c))  # (V, U, N*C)
    return t.reshape(len(along_w), len(along_h), n, c)


def from_spectrum(s, along_h, along_w):
    """s (V, U, N, C) complex, a half spectrum -> (N, Ho, Wo, C) real: the inverse of
    :func:`to_spectrum`, with ``along_h`` (Ho, U) and ``along_w`` (Wo, V) from
    :func:`inverse_dft_matrix` (``along_w`` with ``half=True``)."""
    v, u, n, c = s.shape
    t = np.matmul(along_h, s.reshape(v, u, n * c))  # (V, Ho, N*C)
    t = along_w @ t.reshape(v, -1)  # (Wo, Ho*N*C)
    return np.ascontiguousarray(t.real.reshape(len(along_w), len(along_h), n, c).transpose(2, 1, 0, 3))


def frame(size, p, k):
    """The shortest frame along an axis of ``size`` inputs (padding p, kernel k) whose
    circular correlation is the convolution: the input and the p zeros before it
    (wrapping past its end reads those zeros), long enough for every output and tap."""
    return max(size + p, size + 2 * p - k + 1, k)


class SpectralConv2D(Twin, Conv2D):
    """:class:`~kaggle_mnist.nn.conv.Conv2D` (stride 1) by the convolution theorem.

    Along one axis the layer computes out[i] = sum_a xp[i + a] w[a] for i < Ho, xp being
    the input with p zeros on either side. Set the input in a frame of L >= H + p values
    (p zeros before it, none after; :func:`frame`) and read the frame circularly: where
    a product reaches past the input's end, into the padding after it (xp[H + p] to
    xp[H + 2p - 1]), it wraps round to the frame's first values, which are the padding
    zeros before it. So out is the frame's circular
    correlation with w, whose transform is a product:

        OUT[u] = XP[u] * conj(Wf[u])      (Wf: the transform of w in a frame of L zeros)

    In 2-D with channels, each frequency (u, v) makes it a matrix product,
    OUT[u, v] (N, F) = XP[u, v] (N, C) @ conj(Wf[u, v]) (C, F), and the backward pass is
    two more of the same shape:

        dXP[u, v] = dOUT[u, v] @ Wf[u, v].T       (the input gradient is a convolution)
        dWf'[u, v] = XP[u, v].T @ conj(dOUT[u, v])  (the weight gradient a correlation)

    each read back at the positions that exist (input pixels, kernel taps). The spectrum
    of a real signal repeats itself conjugated past the middle, so along W only the
    first V = M // 2 + 1 of the frame's M = W + p frequencies are computed.

    The LeNet-like network's second convolution (5x5, 32 -> 64 channels on 14x14, frame
    16x16): 16 x 9 frequencies x 4 real multiply-adds = 576 per image and channel pair,
    against 25 taps x 196 pixels = 4,900 for the patch matrix; the transforms cost less
    than the difference. For 3x3 kernels the transforms cost more than they save
    (:class:`FastConv2D` chooses).
    """

    def _frames(self, h, w, dtype):
        """The DFT matrices of this layer for (H, W) inputs, each a pair (along H, along W)."""
        k, p = self.k, self.padding
        ho, wo = h + 2 * p - k + 1, w + 2 * p - k + 1
        L, M = frame(h, p, k), frame(w, p, k)
        U, V = L, M // 2 + 1  # frequencies: all along H, half along W
        cdt = np.result_type(dtype, np.complex64)
        where = dict(x=(range(p, p + h), range(p, p + w)), out=(range(ho), range(wo)),
                     kernel=(range(k), range(k)))

        def forward(part):
            rows, cols = where[part]
            return dft_matrix(L, tuple(rows), U, cdt), dft_matrix(M, tuple(cols), V, cdt)

        def inverse(part):
            rows, cols = where[part]
            return inverse_dft_matrix(L, tuple(rows), U, cdt), inverse_dft_matrix(M, tuple(cols), V, cdt, True)

        return {part: (forward(part), inverse(part)) for part in where}

    def forward(self, x, training=False):
        if self.stride != 1:
            raise ValueError("SpectralConv2D computes stride-1 convolutions only")
        W = self.params["W"]  # (k, k, C, F)
        self.frames = frames = self._frames(x.shape[1], x.shape[2], np.result_type(x, W))
        # the filters as (C, k, k, F) "images": their spectra, conjugated (V, U, C, F)
        self.W_spectrum = np.conj(to_spectrum(W.transpose(2, 0, 1, 3), *frames["kernel"][0]))
        self.x_spectrum = to_spectrum(x, *frames["x"][0])  # (V, U, N, C)
        out = from_spectrum(np.matmul(self.x_spectrum, self.W_spectrum), *frames["out"][1])
        out += self.params["b"]
        return out  # (N, Ho, Wo, F)

    def backward(self, dout):
        frames = self.frames
        d_spectrum = to_spectrum(dout, *frames["out"][0])  # (V, U, N, F)
        dW_spectrum = np.matmul(self.x_spectrum.transpose(0, 1, 3, 2), d_spectrum.conj())  # (V, U, C, F)
        self.grads["W"][...] = from_spectrum(dW_spectrum, *frames["kernel"][1]).transpose(1, 2, 0, 3)
        np.sum(dout, axis=(0, 1, 2), out=self.grads["b"])
        if not self.need_dx:
            return None
        dx_spectrum = np.matmul(d_spectrum, self.W_spectrum.conj().transpose(0, 1, 3, 2))  # (V, U, N, C)
        return from_spectrum(dx_spectrum, *frames["x"][1])  # (N, H, W, C)


def spectral_pays(layer, h, w):
    """Whether :class:`SpectralConv2D` is cheaper than the patch matrix for (H, W) inputs.

    Counts real multiply-adds per image and pass: k*k*Ho*Wo*C*F for the patch matrix;
    4*U*V*C*F for the frequency products plus 4 per value and frequency of the two
    transforms. A spectral multiply-add runs at about half the speed of a patch-matrix
    one (smaller products, complex numbers), hence the factor 2 (measured on the layers
    of ``lenet`` and ``cnn``: it picks the faster one for each).
    """
    k, _, c, f = layer.params["W"].shape
    p = layer.padding
    L, M = frame(h, p, k), frame(w, p, k)
    U, V, ho, wo = L, M // 2 + 1, h + 2 * p - k + 1, w + 2 * p - k + 1
    patches = k * k * ho * wo * c * f
    transforms = 4 * (V * w * h + U * h * V) * c + 4 * (ho * U * V + wo * ho * V) * f
    return layer.stride == 1 and 2 * (4 * U * V * c * f + transforms) < patches


def fastest_way(layer, h, w):
    """The class whose way of computing ``layer`` on (H, W) inputs is fastest.

    Winograd's F(4x4, 3x3) for 3x3 stride-1 convolutions of several channels (a
    quarter of the multiply-adds); for one input channel, a first layer, the patch
    matrix is only 9 values wide and its product cheap, so the transforms do not pay.
    Otherwise the convolution theorem where it does fewer operations
    (:func:`spectral_pays`), else the patch matrix.
    """
    k, _, c, _ = layer.params["W"].shape
    if k == 3 and layer.stride == 1 and c > 1:
        return WinogradConv2D
    return SpectralConv2D if spectral_pays(layer, h, w) else ChunkedConv2D


class FastConv2D(SpectralConv2D, ChunkedConv2D, WinogradConv2D):
    """A Conv2D computed the fastest way for its shape (:func:`fastest_way`), chosen at
    each forward. (``chunk``: how many images the chunked and Winograd ways take at a time,
    4 unless the strategy sets it.)"""

    def forward(self, x, training=False):
        self.way = fastest_way(self, x.shape[1], x.shape[2])
        return self.way.forward(self, x, training)

    def backward(self, dout):
        return self.way.backward(self, dout)
