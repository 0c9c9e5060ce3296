"""3x3 convolutions by Winograd's minimal filtering, for the engine.

A 3x3 convolution computes each output pixel from 9 inputs per channel pair: a 4x4
block of outputs takes 16 * 9 = 144 multiplications. Winograd's F(4x4, 3x3) (Lavin and
Gray, "Fast algorithms for convolutional neural networks", 2016) takes 36: the 6x6
input tile ``d`` that feeds the block and the filter ``g`` are each turned into 6x6
"transformed" arrays, multiplied element by element, and turned back:

    Y = AT @ [(G @ g @ G.T) * (BT @ d @ BT.T)] @ AT.T          Y: (4, 4), d: (6, 6), g: (3, 3)

the same numbers as the direct sum, in exact arithmetic (float32 rounding differs a
little: the transforms add and subtract values up to 8 times larger than the result).

With channels, the element-by-element product becomes, at each of the 36 positions e
of the transformed tile, one matrix product over the channels:

    M[e] (tiles, F) = V[e] (tiles, C) @ U[e] (C, F)

where V is every tile's transformed input and U the transformed filters. Per 4x4 output
block and filter, the patch matrix's product takes 16 rows of 9C values (144C
multiply-adds), these 36 products one row of C each (36C): a quarter. The transforms
themselves are products with the small matrices BT, G and AT along each axis of the tiles.

The backward pass is the same computation run backwards (each step is linear):

    dM = A @ dY @ A.T (per tile)   dU[e] = V[e].T @ dM[e]   dV[e] = dM[e] @ U[e].T
    dW = G.T @ dU @ G              dd = B @ dV @ B.T, added back where each tile came from

Tiles overlap by two pixels (each 6x6 tile feeds a 4x4 block), so the input gradient
adds the overlapping edges of neighbouring tiles together.

Only stride-1 3x3 convolutions; the tests hold :class:`WinogradConv2D` to
:class:`~kaggle_mnist.nn.conv.Conv2D`.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kaggle_mnist.engine.twin import Twin
from kaggle_mnist.nn import Conv2D

# F(4x4, 3x3) on the points 0, 1, -1, 2, -2 and infinity (Lavin and Gray, 2016).
BT = np.array([[4, 0, -5, 0, 1, 0],
               [0, -4, -4, 1, 1, 0],
               [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0],
               [0, 2, -1, -2, 1, 0],
               [0, 4, 0, -5, 0, 1]], dtype=np.float64)  # input tile (6) -> transformed (6)
G = np.array([[1 / 4, 0, 0],
              [-1 / 6, -1 / 6, -1 / 6],
              [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6],
              [1 / 24, -1 / 12, 1 / 6],
              [0, 0, 1]], dtype=np.float64)  # filter (3) -> transformed (6)
AT = np.array([[1, 1, 1, 1, 1, 0],
               [0, 1, -1, 2, -2, 0],
               [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], dtype=np.float64)  # transformed (6) -> output block (4)
TILE, BLOCK = 6, 4  # a 6x6 input tile makes a 4x4 output block; tiles start 4 pixels apart


def both_axes(T, a):
    """T @ a @ T.T over the two leading axes of ``a`` (P, P, ...) -> (R, R, ...), T (R, P):
    two products, each one BLAS call over all the tiles and channels at once."""
    p, rest = a.shape[0], a.shape[2:]
    t = (T @ a.reshape(p, -1)).reshape(len(T), p, -1)  # along the first axis: (R, P, ...)
    return np.matmul(T, t).reshape(len(T), len(T), *rest)  # along the second: (R, R, ...)


class WinogradConv2D(Twin, Conv2D):
    """:class:`~kaggle_mnist.nn.conv.Conv2D` (3x3, stride 1) by Winograd's F(4x4, 3x3).

    Same parameters, gradient arrays and numbers (within float rounding) as the
    textbook layer. ``chunk`` images at a time, so that each chunk's tiles stay in the
    core's cache between the steps; in training, the transformed input tiles are kept
    for the backward pass.
    """

    chunk = 4

    def forward(self, x, training=False):
        if self.k != 3 or self.stride != 1:
            raise ValueError("WinogradConv2D computes 3x3 stride-1 convolutions only")
        n, h, w, c = x.shape
        p, W = self.padding, self.params["W"]  # W: (3, 3, C, F)
        self.shape = x.shape
        ho, wo = h + 2 * p - 2, w + 2 * p - 2
        th, tw = -(-ho // BLOCK), -(-wo // BLOCK)  # tiles down and across
        xp = np.zeros((n, BLOCK * th + 2, BLOCK * tw + 2, c), x.dtype)  # padded to whole tiles
        xp[:, p:p + h, p:p + w] = x
        self.U = both_axes(G.astype(W.dtype), W).reshape(TILE * TILE, c, -1)  # (36, C, F)
        f = self.U.shape[2]
        sn, sh, sw, sc = xp.strides
        tiles = as_strided(xp, (TILE, TILE, n, th, tw, c), (sh, sw, sn, BLOCK * sh, BLOCK * sw, sc),
                           writeable=False)  # [i, j, n, ty, tx, c] = xp[n, 4 ty + i, 4 tx + j, c]
        out = np.empty((n, th, BLOCK, tw, BLOCK, f), x.dtype)  # the output, as 4x4 blocks
        bt, at = BT.astype(x.dtype), AT.astype(x.dtype)
        self.V = []  # in training, each chunk's transformed tiles (36, tiles, C), for the backward pass
        for a in range(0, n, self.chunk):
            d = np.ascontiguousarray(tiles[:, :, a:a + self.chunk])  # (6, 6, n', th, tw, C)
            V = both_axes(bt, d).reshape(TILE * TILE, -1, c)
            if training:
                self.V.append(V)
            M = np.matmul(V, self.U)  # (36, tiles, F): the 36 products over the channels
            Y = both_axes(at, M.reshape(TILE, TILE, -1)).reshape(BLOCK, BLOCK, -1, th, tw, f)
            np.add(Y.transpose(2, 3, 0, 4, 1, 5), self.params["b"], out=out[a:a + self.chunk])
        out = out.reshape(n, BLOCK * th, BLOCK * tw, f)
        return out if (ho, wo) == out.shape[1:3] else np.ascontiguousarray(out[:, :ho, :wo])  # (N, Ho, Wo, F)

    def backward(self, dout):
        n, h, w, c = self.shape
        p = self.padding
        _, ho, wo, f = dout.shape
        th, tw = -(-ho // BLOCK), -(-wo // BLOCK)
        np.sum(dout, axis=(0, 1, 2), out=self.grads["b"])
        if (ho, wo) != (BLOCK * th, BLOCK * tw):
            dout = np.pad(dout, ((0, 0), (0, BLOCK * th - ho), (0, BLOCK * tw - wo), (0, 0)))
        dy = dout.reshape(n, th, BLOCK, tw, BLOCK, f).transpose(2, 4, 0, 1, 3, 5)  # (4, 4, N, th, tw, F) view
        a_, b_ = AT.T.astype(dout.dtype), BT.T.astype(dout.dtype)
        dU = np.zeros_like(self.U)  # (36, C, F)
        dxp = np.zeros((n, th + 1, BLOCK, tw + 1, BLOCK, c), dout.dtype) if self.need_dx else None
        for k, a in enumerate(range(0, n, self.chunk)):
            dM = both_axes(a_, dy[:, :, a:a + self.chunk]).reshape(TILE * TILE, -1, f)  # (36, tiles, F)
            dU += np.matmul(self.V[k].transpose(0, 2, 1), dM)
            if dxp is None:
                continue
            dV = np.matmul(dM, self.U.transpose(0, 2, 1))  # (36, tiles, C)
            dd = both_axes(b_, dV.reshape(TILE, TILE, -1)).reshape(TILE, TILE, -1, th, tw, c)
            self._add_tiles(dxp[a:a + self.chunk], dd)
        self.grads["W"][...] = both_axes(G.T.astype(dU.dtype), dU.reshape(TILE, TILE, c, f))
        if dxp is None:
            return None
        dxp = dxp.reshape(n, BLOCK * (th + 1), BLOCK * (tw + 1), c)
        return dxp[:, p:p + h, p:p + w]  # (N, H, W, C)

    @staticmethod
    def _add_tiles(dxp, dd):
        """Add tile gradients dd (6, 6, n, th, tw, C) into dxp (n, th + 1, 4, tw + 1, 4, C),
        the padded input as a grid of 4x4 blocks: tile (ty, tx) covers block (ty, tx)
        whole and the first two rows and columns of the blocks after it."""
        first, edge = slice(0, BLOCK), slice(BLOCK, TILE)  # tile rows 0-3: its own block; 4-5: the next
        th, tw = dd.shape[3], dd.shape[4]
        for rows, ys, yb in ((first, slice(0, th), slice(0, BLOCK)), (edge, slice(1, th + 1), slice(0, 2))):
            for cols, xs, xb in ((first, slice(0, tw), slice(0, BLOCK)), (edge, slice(1, tw + 1), slice(0, 2))):
                dxp[:, ys, yb, xs, xb] += dd[rows, cols].transpose(2, 3, 0, 4, 1, 5)
