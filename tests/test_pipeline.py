"""PixelScaler: 0-255 pixels to [0, 1], float32 unless given float64."""

import numpy as np

from kaggle_mnist.pipeline import PixelScaler, make_pipeline


def test_scales_to_unit_range_keeping_float32():
    X = np.array([[0, 51, 255]], dtype=np.uint8)
    out = PixelScaler().fit(X).transform(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0, 0.2, 1]], rtol=1e-6)
    assert PixelScaler().fit_transform(X.astype(np.float64)).dtype == np.float64


def test_pipeline_steps():
    pipe = make_pipeline("net")
    assert [name for name, _ in pipe.steps] == ["scale", "net"] and isinstance(pipe[0], PixelScaler)
