"""Data augmentation for 28 x 28 digits, in NumPy, a batch at a time.

A small random affine transform (rotation, zoom, shift) of each training image shows
the network digits it has not seen, written a little differently; for MNIST that is
worth more than any regulariser. Each transform is applied by *inverse mapping*: for
every output pixel, compute where it comes from in the input and interpolate the four
pixels around that point (bilinear). Outside the image counts as background (0).

The transforms are drawn from the generator passed in, so a seeded run repeats.
Test-time augmentation (:func:`tta_views`) uses a fixed list of mild transforms.
"""

import numpy as np

SIDE = 28


def affine_matrices(angle_deg, scale, shift_x, shift_y):
    """Inverse-mapping matrices (N, 2, 3) for per-image rotations, zooms and shifts.

    The image is rotated by ``angle_deg`` and zoomed by ``scale`` about its centre,
    then moved by (shift_x, shift_y) pixels. Each argument is an array of length N.
    """
    theta = np.deg2rad(angle_deg)
    cos, sin = np.cos(theta) / scale, np.sin(theta) / scale
    c = (SIDE - 1) / 2
    # source = R(-theta)/scale @ (dest - c - shift) + c
    A = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)  # (N, 2, 2)
    offset = np.stack([shift_x, shift_y], -1) + c  # (N, 2)
    t = c - np.einsum("nij,nj->ni", A, offset)  # (N, 2)
    return np.concatenate([A, t[:, :, None]], axis=2)


def warp(images, matrices):
    """Apply inverse-mapping affine ``matrices`` (N, 2, 3) to ``images`` (N, 784).

    Returns (N, 784) in the images' dtype; bilinear interpolation, zero outside.
    """
    n = len(images)
    ys, xs = np.mgrid[0:SIDE, 0:SIDE]
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(SIDE * SIDE)]).astype(np.float32)  # (3, 784)
    src = matrices.astype(np.float32) @ grid  # (N, 2, 784): x and y to sample from
    x0 = np.floor(src[:, 0])
    y0 = np.floor(src[:, 1])
    wx = src[:, 0] - x0
    wy = src[:, 1] - y0
    # Pad by one pixel of background so that every neighbour index is valid.
    padded = np.zeros((n, SIDE + 2, SIDE + 2), dtype=images.dtype)
    padded[:, 1:-1, 1:-1] = images.reshape(n, SIDE, SIDE)
    flat = padded.reshape(n, -1)
    xi = np.clip(x0, -1, SIDE).astype(np.intp) + 1  # (N, 784), in 0..SIDE+1
    yi = np.clip(y0, -1, SIDE).astype(np.intp) + 1
    xj = np.minimum(xi + 1, SIDE + 1)
    yj = np.minimum(yi + 1, SIDE + 1)
    inside_x = (x0 >= -1) & (x0 <= SIDE - 1)  # the pair (x0, x0+1) touches the image
    inside_y = (y0 >= -1) & (y0 <= SIDE - 1)
    w = SIDE + 2
    rows = np.arange(n)[:, None]
    top = flat[rows, yi * w + xi] * (1 - wx) + flat[rows, yi * w + xj] * wx
    bottom = flat[rows, yj * w + xi] * (1 - wx) + flat[rows, yj * w + xj] * wx
    out = (top * (1 - wy) + bottom * wy) * (inside_x & inside_y)
    return out.astype(images.dtype, copy=False)


class RandomAffine:
    """Per-image random rotation (degrees), zoom (fraction) and shift (pixels)."""

    def __init__(self, degrees=10.0, zoom=0.1, shift=2.0):
        self.degrees, self.zoom, self.shift = degrees, zoom, shift

    def __call__(self, images, rng):
        n = len(images)
        m = affine_matrices(
            rng.uniform(-self.degrees, self.degrees, n),
            rng.uniform(1 - self.zoom, 1 + self.zoom, n),
            rng.uniform(-self.shift, self.shift, n),
            rng.uniform(-self.shift, self.shift, n),
        )
        return warp(images, m)

    def __repr__(self):
        return f"RandomAffine(degrees={self.degrees}, zoom={self.zoom}, shift={self.shift})"


AUGMENTERS = {
    "shift": lambda: RandomAffine(degrees=0, zoom=0, shift=2),
    "affine": lambda: RandomAffine(degrees=10, zoom=0.1, shift=2),
    "mild": lambda: RandomAffine(degrees=8, zoom=0.08, shift=1.5),
}


def make_augmenter(name):
    """The augmentation called ``name``: "shift", "mild" or "affine"."""
    try:
        return AUGMENTERS[name]()
    except KeyError:
        raise ValueError(f"augment must be None or one of {sorted(AUGMENTERS)}, got {name!r}") from None


# Fixed mild transforms for test-time augmentation: (degrees, zoom, dx, dy).
TTA_TRANSFORMS = [(0, 1, 1, 0), (0, 1, -1, 0), (0, 1, 0, 1), (0, 1, 0, -1), (6, 1, 0, 0), (-6, 1, 0, 0),
                  (0, 1.06, 0, 0), (0, 0.94, 0, 0)]


def tta_views(images, k):
    """Yield ``k`` transformed copies of ``images`` (N, 784), from TTA_TRANSFORMS."""
    if not 0 <= k <= len(TTA_TRANSFORMS):
        raise ValueError(f"tta must be between 0 and {len(TTA_TRANSFORMS)}, got {k}")
    n = len(images)
    for deg, zoom, dx, dy in TTA_TRANSFORMS[:k]:
        yield warp(images, affine_matrices(np.full(n, deg), np.full(n, zoom), np.full(n, dx), np.full(n, dy)))
