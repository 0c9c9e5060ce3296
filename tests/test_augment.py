"""Augmentation: identity, shifts move the centre of mass, rotations keep the ink."""

import numpy as np
import pytest

from kaggle_mnist.augment import (RandomAffine, affine_matrices, deskew, deskew_matrices, elastic_fields,
                                  make_augmenter, normalize_width, tta_views, warp, warp_naive, width_matrices)


def digit_blob(n=4):
    """Images with a bright square off-centre."""
    images = np.zeros((n, 28, 28), np.float32)
    images[:, 8:14, 10:18] = 1.0
    return images.reshape(n, -1)


def centre_of_mass(images):
    img = images.reshape(-1, 28, 28)
    ys, xs = np.mgrid[0:28, 0:28]
    total = img.sum(axis=(1, 2))
    return np.stack([(img * xs).sum(axis=(1, 2)) / total, (img * ys).sum(axis=(1, 2)) / total], -1)


def test_identity_transform_returns_the_input():
    x = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    out = warp(x, affine_matrices(np.zeros(3), np.ones(3), np.zeros(3), np.zeros(3)))
    np.testing.assert_allclose(out, x, atol=1e-6)


@pytest.mark.parametrize("dx, dy", [(2, 0), (0, -3), (1.5, 2.5)])
def test_shift_moves_centre_of_mass_by_the_shift(dx, dy):
    x = digit_blob(2)
    out = warp(x, affine_matrices(np.zeros(2), np.ones(2), np.full(2, dx), np.full(2, dy)))
    np.testing.assert_allclose(centre_of_mass(out) - centre_of_mass(x), [[dx, dy]] * 2, atol=1e-4)


def test_rotation_keeps_the_ink_and_the_centre():
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 11:17, 11:17] = 1  # centred square
    out = warp(x.reshape(1, -1), affine_matrices(np.array([10.0]), np.ones(1), np.zeros(1), np.zeros(1)))
    assert out.sum() == pytest.approx(x.sum(), rel=0.02)
    np.testing.assert_allclose(centre_of_mass(out), centre_of_mass(x.reshape(1, -1)), atol=0.05)


def test_random_affine_is_seeded_keeps_dtype_and_range():
    x = digit_blob(8)
    aug = RandomAffine()
    a, b = aug(x, np.random.default_rng(3)), aug(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == x.shape and a.min() >= 0 and a.max() <= 1 + 1e-6
    assert not np.array_equal(a, aug(x, np.random.default_rng(4)))


def test_tta_views_and_names():
    views = list(tta_views(digit_blob(2), 4))
    assert len(views) == 4 and all(v.shape == (2, 784) for v in views)
    assert make_augmenter("shift").degrees == 0
    with pytest.raises(ValueError, match="augment must be"):
        make_augmenter("flip")


@pytest.mark.parametrize("seed", range(3))
def test_warp_equals_the_per_pixel_loop(seed):
    """Random rotations, zooms and shifts, including ones that move the digit half out
    of the frame: the vectorised warp against the naive loop, pixel by pixel."""
    rng = np.random.default_rng(seed)
    x = rng.random((3, 784)).astype(np.float32)
    m = affine_matrices(rng.uniform(-30, 30, 3), rng.uniform(0.7, 1.3, 3), rng.uniform(-15, 15, 3),
                        rng.uniform(-15, 15, 3))
    np.testing.assert_allclose(warp(x, m), warp_naive(x, m), atol=2e-5)


@pytest.mark.parametrize("seed", range(2))
def test_warp_with_displacement_equals_the_per_pixel_loop(seed):
    """An affine map plus a per-pixel displacement (an elastic distortion), against the loop."""
    rng = np.random.default_rng(seed)
    x = rng.random((2, 784)).astype(np.float32)
    m = affine_matrices(rng.uniform(-20, 20, 2), rng.uniform(0.8, 1.2, 2), rng.uniform(-3, 3, 2),
                        rng.uniform(-3, 3, 2))
    d = rng.normal(0, 2, (2, 2, 784)).astype(np.float32)
    np.testing.assert_allclose(warp(x, m, d), warp_naive(x, m, d), atol=2e-5)


def test_elastic_fields_are_smooth_and_scaled_by_alpha():
    """Neighbouring pixels move together (the blur), far ones independently; alpha scales."""
    a = elastic_fields(200, 34.0, 4.0, np.random.default_rng(0)).reshape(200, 2, 28, 28)
    b = elastic_fields(200, 17.0, 4.0, np.random.default_rng(0)).reshape(200, 2, 28, 28)
    np.testing.assert_allclose(b, a / 2, rtol=1e-5)
    centre = a[:, 0, 14, 14]
    assert np.corrcoef(centre, a[:, 0, 14, 15])[0, 1] > 0.9  # the pixel beside it
    assert abs(np.corrcoef(centre, a[:, 0, 0, 0])[0, 1]) < 0.3  # a corner
    assert 1.0 < a[:, :, 14, 14].std() < 1.8  # about 1.4 pixels, as in Simard et al.


def test_random_elastic_is_seeded_and_keeps_range():
    x = digit_blob(4)
    aug = make_augmenter("elastic")
    a, b = aug(x, np.random.default_rng(1)), aug(x, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1 + 1e-6
    assert not np.array_equal(a, RandomAffine()(x, np.random.default_rng(1)))


def test_deskew_straightens_a_slanted_stroke_and_centres_it():
    """A slanted bar off-centre: afterwards its ink has no height-position correlation
    and its centre of mass is the image's centre; an upright centred bar stays put."""
    slanted = np.zeros((1, 28, 28), np.float32)
    for row in range(6, 22):
        slanted[0, row, 8 + (21 - row) // 2: 11 + (21 - row) // 2] = 1  # leans right, centre left of middle
    out = deskew(slanted.reshape(1, -1))
    assert abs(deskew_matrices(out)[0, 0, 1]) < 0.03  # the shear left to undo
    assert abs(deskew_matrices(slanted.reshape(1, -1))[0, 0, 1]) > 0.3
    np.testing.assert_allclose(centre_of_mass(out), [[13.5, 13.5]], atol=0.05)
    upright = np.zeros((1, 28, 28), np.float32)
    upright[0, 6:22, 13:15] = 1
    centred = deskew(upright.reshape(1, -1))
    np.testing.assert_allclose(centred, upright.reshape(1, -1), atol=1e-5)


def test_deskew_in_chunks_of_rows_is_deskew_at_once_and_keeps_pixels_and_empty_images():
    """Chunks change nothing; 0-255 integer pixels are interpolated in float32, not
    floored back to integers; an empty image stays empty."""
    ink = np.zeros((5, 28, 28), np.float32)
    ink[:, 5:20, 7:19] = np.random.default_rng(0).integers(0, 256, (5, 15, 12))  # off-centre, uneven
    x = np.concatenate([ink.reshape(5, -1), np.zeros((1, 784), np.float32)])
    whole = deskew(x)
    np.testing.assert_array_equal(deskew(x, rows=2), whole)
    from_ints = deskew(np.rint(x).astype(np.uint8))
    assert from_ints.dtype == np.float32
    np.testing.assert_allclose(from_ints, deskew(np.rint(x)), atol=1e-3)
    assert not np.array_equal(from_ints, np.floor(from_ints))
    assert np.all(np.isfinite(whole)) and not whole[-1].any()


def ink_columns(images, level=0.25):
    """(first, last) column of each image's ink at ``level`` of its brightest pixel."""
    columns = (images.reshape(-1, 28, 28) >= level * images.reshape(-1, 28, 28).max(axis=(1, 2), keepdims=True))
    columns = columns.any(axis=1)
    return columns.argmax(axis=1), 27 - columns[:, ::-1].argmax(axis=1)


def test_normalize_width_stretches_a_narrow_digit_and_squeezes_a_wide_one_keeping_rows():
    """A 4-column bar left of centre, a 1-column stroke and a 20-column bar all come
    out 12 columns wide (to a column), centred; rows with ink and without stay so; a
    rim below a quarter of the brightest pixel does not count; integer pixels come out
    float32, float64 stays float64; an empty image stays empty."""
    images = np.zeros((4, 28, 28), np.float32)
    images[0, 6:22, 5:9] = 1  # narrow, left of centre
    images[1, 6:22, 20] = 1  # one column, right of centre
    images[2, 10:16, 4:24] = 1  # wide
    x = images.reshape(4, -1)
    out = normalize_width(x, 12)
    first, last = ink_columns(out[:3])
    assert np.all(np.abs(last - first + 1 - 12) <= 1), (first, last)
    np.testing.assert_allclose((first + last) / 2, 13.5, atol=0.5)
    rows_with_ink = out.reshape(4, 28, 28).max(axis=2) > 0.5
    np.testing.assert_array_equal(rows_with_ink, images.max(axis=2) > 0.5)
    np.testing.assert_allclose(width_matrices(x[:3], 12)[:, 0, 0], np.array([4.5, 1.5, 20.5]) / 12)  # 1 / scale
    assert not out[3].any()
    np.testing.assert_array_equal(normalize_width(x, 12, rows=1), out)
    rimmed = images[1:2].copy()
    rimmed[0, 6:22, 19] = rimmed[0, 6:22, 21] = 0.2  # a faint rim: not counted in the box
    np.testing.assert_array_equal(width_matrices(rimmed.reshape(1, -1), 12), width_matrices(x[1:2], 12))
    assert normalize_width(np.rint(x * 255).astype(np.uint8), 12).dtype == np.float32
    assert normalize_width(x.astype(np.float64), 12).dtype == np.float64
    with pytest.raises(ValueError, match="digit_width takes 28x28 images"):
        normalize_width(x[:, :100], 12)
