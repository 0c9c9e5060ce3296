"""Data augmentation for 28 x 28 digits, in NumPy, a batch at a time.

A small random affine transform (rotation, zoom, shift) of each training image shows
the network digits it has not seen, written a little differently; for MNIST that is
worth more than any regulariser. An *elastic* distortion (Simard, Steinkraus and Platt,
"Best practices for convolutional neural networks applied to visual document
analysis", 2003) bends the strokes as well: every pixel moves by its own small amount,
smoothly varying over the image, as a hand's wobble would move it. Each transform is
applied by *inverse mapping*: for every output pixel, compute where it comes from in
the input and interpolate the four pixels around that point (bilinear). Outside the
image counts as background (0).

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


_YS, _XS = np.mgrid[0:SIDE, 0:SIDE]
_GRID = np.stack([_XS.ravel(), _YS.ravel(), np.ones(SIDE * SIDE)]).astype(np.float32)  # (3, 784): x, y, 1
_PAD = SIDE + 3  # padded images: one column (row) of zeros before, two after


def warp(images, matrices, displacement=None):
    """Apply inverse-mapping affine ``matrices`` (N, 2, 3) to ``images`` (N, 784).

    ``displacement``: optional (N, 2, 784), moved onto each output pixel's source point
    (x then y, in pixels) after the affine map: an elastic distortion.
    Returns (N, 784) in the images' dtype; bilinear interpolation, zero outside.

    Each output pixel reads the four pixels around its source point (x, y):
    ``top = p00 + wx (p01 - p00)``, ``bottom = p10 + wx (p11 - p10)``,
    ``out = top + wy (bottom - top)``. The images are padded with a border of zeros
    so that every neighbour of a point inside the image (or within a pixel of it) is a
    valid index into one flat array; points further out are moved onto the border,
    where all four neighbours are zero.
    """
    n = len(images)
    src = matrices.astype(np.float32) @ _GRID  # (N, 2, 784): x and y to sample from
    if displacement is not None:
        src += displacement
    # +1: coordinates in the padded image, kept within it (x0 + 1 <= SIDE + 2)
    sx = np.clip(src[:, 0] + 1, 0, SIDE + 1)
    sy = np.clip(src[:, 1] + 1, 0, SIDE + 1)
    fx, fy = np.floor(sx), np.floor(sy)
    wx, wy = sx - fx, sy - fy  # (N, 784) float32 weights of the right and lower neighbours
    x0, y0 = fx.astype(np.int32), fy.astype(np.int32)
    padded = np.zeros((n, _PAD, _PAD), dtype=np.float32)
    padded[:, 1:SIDE + 1, 1:SIDE + 1] = images.reshape(n, SIDE, SIDE)
    flat = padded.ravel()
    i00 = y0 * _PAD + x0  # (N, 784) index of the top-left neighbour ...
    i00 += np.arange(0, n * _PAD * _PAD, _PAD * _PAD, dtype=np.int32)[:, None]  # ... in the flat batch
    p00, p01 = flat[i00], flat[i00 + 1]
    p10, p11 = flat[i00 + _PAD], flat[i00 + _PAD + 1]
    top = p01 - p00
    top *= wx
    top += p00
    bottom = p11 - p10
    bottom *= wx
    bottom += p10
    bottom -= top
    bottom *= wy
    bottom += top
    return bottom.astype(images.dtype, copy=False)


def warp_naive(images, matrices, displacement=None):
    """Reference :func:`warp`, one output pixel at a time (for the tests)."""
    n = len(images)
    out = np.zeros((n, SIDE * SIDE))
    for k in range(n):
        img = images[k].reshape(SIDE, SIDE).astype(np.float64)
        for i in range(SIDE):
            for j in range(SIDE):
                x, y = matrices[k] @ np.array([j, i, 1.0])
                if displacement is not None:
                    x, y = x + displacement[k, 0, i * SIDE + j], y + displacement[k, 1, i * SIDE + j]
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                value = 0.0
                for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
                    yy, xx = y0 + dy, x0 + dx
                    if 0 <= yy < SIDE and 0 <= xx < SIDE:
                        weight = (x - x0 if dx else 1 - (x - x0)) * (y - y0 if dy else 1 - (y - y0))
                        value += weight * img[yy, xx]
                out[k, i * SIDE + j] = value
    return out


def deskew_matrices(images):
    """Inverse-mapping matrices (N, 2, 3) that deskew ``images`` (N, 784) and centre them.

    A slanted digit's ink has a correlation between height and horizontal position:
    its second moments give the shear ``alpha = cov(x, y) / var(y)`` that undoes it
    (LeCun et al., 1998, deskewed MNIST this way for their best non-convolutional
    classifiers). Each output pixel (x, y) reads the input at
    ``(x + alpha (y - c) + cx - c, y + cy - c)``: sheared about the centre of mass
    (cx, cy), which lands on the image's centre c.
    """
    x = images.astype(np.float64)
    ys, xs = _GRID[1].astype(np.float64), _GRID[0].astype(np.float64)  # (784,) row, column of each pixel
    total = np.maximum(x.sum(axis=1), 1e-12)  # (N,); an empty image stays empty
    cx, cy = x @ xs / total, x @ ys / total  # (N,) centre of mass
    var_y = x @ ys ** 2 / total - cy ** 2
    cov_xy = x @ (xs * ys) / total - cx * cy
    alpha = np.where(var_y > 1e-12, cov_xy / np.maximum(var_y, 1e-12), 0.0)
    c = (SIDE - 1) / 2
    ones, zeros = np.ones_like(alpha), np.zeros_like(alpha)
    return np.stack([np.stack([ones, alpha, cx - c - alpha * c], -1),
                     np.stack([zeros, ones, cy - c], -1)], -2)


def width_matrices(images, width):
    """Inverse-mapping matrices (N, 2, 3) that stretch or squeeze each of ``images``
    (N, 784) sideways until its ink spans ``width`` columns, centred; rows stay put.

    The ink's extent is its bounding box: the columns holding a pixel of at least a
    quarter of the image's brightest (the faint anti-aliased rim does not count).
    Ciresan, Meier and Schmidhuber ("Multi-column deep neural networks for image
    classification", 2012) trained networks on digits of several such widths: each
    sees the digits differently, so their mistakes differ and a committee of them
    makes fewer. Output column x reads input column ``b + (x - c) / s``, where b is
    the box's centre and c the image's; an empty image keeps s = 1. The factor is
    s = width / (w + 1/2) for a box of w columns: stretched s times, the box's
    interpolated rim grows too, by about s / 4 columns on each side.
    """
    x = images.reshape(len(images), SIDE, SIDE)
    ink = x >= 0.25 * x.max(axis=(1, 2), keepdims=True)
    ink &= x > 0  # an empty image (brightest 0) has no ink
    columns = ink.any(axis=1)  # (N, 28) columns with ink
    first = columns.argmax(axis=1)
    last = SIDE - 1 - columns[:, ::-1].argmax(axis=1)
    empty = ~columns.any(axis=1)
    scale = np.where(empty, 1.0, width / (last - first + 1.5))  # (N,)
    c = (SIDE - 1) / 2
    centre = np.where(empty, c, (first + last) / 2)
    ones, zeros = np.ones_like(scale), np.zeros_like(scale)
    return np.stack([np.stack([1 / scale, zeros, centre - c / scale], -1),
                     np.stack([zeros, ones, zeros], -1)], -2)


def _normalize(images, matrices, name, rows):
    """``images`` (N, 784) warped by ``matrices(part)`` ``rows`` at a time, so that the
    interpolation's arrays stay small: float images keep their dtype, integer ones come
    back float32 (interpolated pixels are not integers)."""
    if images.ndim != 2 or images.shape[1] != SIDE * SIDE:
        raise ValueError(f"{name} takes {SIDE}x{SIDE} images of {SIDE * SIDE} pixels; got {images.shape[1:]} features")
    out = np.empty(images.shape, images.dtype if images.dtype.kind == "f" else np.float32)
    for start in range(0, len(images), rows):
        part = images[start:start + rows].astype(out.dtype, copy=False)
        out[start:start + rows] = warp(part, matrices(part))
    return out


def deskew(images, rows=4096):
    """``images`` (N, 784) deskewed and centred (:func:`deskew_matrices`)."""
    return _normalize(images, deskew_matrices, "deskew", rows)


def normalize_width(images, width, rows=4096):
    """``images`` (N, 784) with every digit ``width`` columns wide (:func:`width_matrices`)."""
    return _normalize(images, lambda part: width_matrices(part, width), "digit_width", rows)


class RandomAffine:
    """Per-image random rotation (degrees), zoom (fraction) and shift (pixels)."""

    def __init__(self, degrees=10.0, zoom=0.1, shift=2.0):
        self.degrees, self.zoom, self.shift = degrees, zoom, shift

    def matrices(self, n, rng):
        """(n, 2, 3) random inverse-mapping matrices."""
        return affine_matrices(
            rng.uniform(-self.degrees, self.degrees, n),
            rng.uniform(1 - self.zoom, 1 + self.zoom, n),
            rng.uniform(-self.shift, self.shift, n),
            rng.uniform(-self.shift, self.shift, n),
        )

    def __call__(self, images, rng):
        return warp(images, self.matrices(len(images), rng))

    def __repr__(self):
        return f"RandomAffine(degrees={self.degrees}, zoom={self.zoom}, shift={self.shift})"


def gaussian_matrix(sigma, side=SIDE):
    """(side, side) matrix that blurs a signal of ``side`` values with a Gaussian of
    ``sigma`` pixels (zeros beyond the ends): ``G @ f`` blurs each column of f, and
    ``G @ F @ G.T`` a whole image, the 2-D Gaussian being separable."""
    d = np.arange(side)[:, None] - np.arange(side)[None, :]
    kernel = np.exp(-d ** 2 / (2 * sigma ** 2))
    return kernel / kernel.sum(axis=1).max()  # weights summing to 1 in the middle


def elastic_fields(n, alpha, sigma, rng):
    """(n, 2, 784) random smooth displacement fields, x then y, in pixels.

    Each pixel draws a displacement uniform in [-1, 1] per axis; a Gaussian blur of
    ``sigma`` pixels makes neighbours move together (a large sigma: a gentle bend; a
    small one: random jitter), and ``alpha`` scales the result. Simard et al. used
    sigma 4 and alpha 34, which moves a pixel by about 1.4 pixels (standard deviation).
    """
    G = gaussian_matrix(sigma).astype(np.float32)
    noise = rng.uniform(-1, 1, (n, 2, SIDE, SIDE)).astype(np.float32)
    return (alpha * (G @ noise @ G.T)).reshape(n, 2, SIDE * SIDE)


class RandomElastic(RandomAffine):
    """A random affine transform followed by a random elastic distortion of
    ``alpha`` and ``sigma`` (see :func:`elastic_fields`), in one interpolation."""

    def __init__(self, degrees=10.0, zoom=0.1, shift=2.0, alpha=34.0, sigma=4.0):
        super().__init__(degrees, zoom, shift)
        self.alpha, self.sigma = alpha, sigma

    def __call__(self, images, rng):
        n = len(images)
        return warp(images, self.matrices(n, rng), elastic_fields(n, self.alpha, self.sigma, rng))

    def __repr__(self):
        return (f"RandomElastic(degrees={self.degrees}, zoom={self.zoom}, shift={self.shift}, "
                f"alpha={self.alpha}, sigma={self.sigma})")


AUGMENTERS = {
    "shift": lambda: RandomAffine(degrees=0, zoom=0, shift=2),
    "affine": lambda: RandomAffine(degrees=10, zoom=0.1, shift=2),
    "mild": lambda: RandomAffine(degrees=8, zoom=0.08, shift=1.5),
    "elastic": lambda: RandomElastic(degrees=10, zoom=0.1, shift=2, alpha=34, sigma=4),
}


def make_augmenter(name):
    """The augmentation called ``name``: "shift", "mild", "affine" or "elastic"."""
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
