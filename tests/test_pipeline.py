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


def test_set_output_pandas_on_the_preset_pipeline():
    import pandas as pd
    from conftest import blob_digits

    from kaggle_mnist import presets
    from kaggle_mnist.data import PIXEL_COLUMNS

    X, y = blob_digits(120)
    frame = pd.DataFrame(X, columns=PIXEL_COLUMNS)
    model = presets.build("fast", max_iter=2, random_state=0).set_output(transform="pandas")
    scaled = model[0].fit_transform(frame)
    assert isinstance(scaled, pd.DataFrame) and list(scaled.columns) == PIXEL_COLUMNS
    assert list(model[0].get_feature_names_out()) == PIXEL_COLUMNS
    assert model.fit(frame, y).predict(frame).shape == (120,)
