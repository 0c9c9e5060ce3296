"""The pixel scaler, and the pipelines that the presets and model files are made of."""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import validate_data


class PixelScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale 0-255 pixels to [0, 1] floats: ``X / 255`` (float32 unless X is float64).

    Stateless: ``fit`` only records the number of features (and their names, given a
    DataFrame: ``get_feature_names_out`` and ``set_output(transform="pandas")`` work).
    """

    def __init__(self, scale=255.0):
        self.scale = scale

    def fit(self, X, y=None):
        validate_data(self, X, reset=True)
        return self

    def transform(self, X):
        X = validate_data(self, X, reset=False, dtype=None)
        dtype = np.float64 if X.dtype == np.float64 else np.float32
        return np.asarray(X, dtype=dtype) * dtype(1 / self.scale)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def make_pipeline(net):
    """PixelScaler followed by ``net``: takes raw 0-255 pixels."""
    return Pipeline([("scale", PixelScaler()), ("net", net)])
