"""Networks by name: what ``NumpyNetClassifier(architecture=...)`` builds.

- ``mlp``: Dense layers of ``hidden_layer_sizes``, each followed by optional BatchNorm, the
  activation and optional Dropout; then a Dense layer to the class logits.
- ``lenet``: the classic LeNet-like 32c5-64c5: two 5x5 convolutions ('same' padding),
  each followed by 2x2 max pooling and the activation, then Dense layers of
  ``hidden_layer_sizes``.
- ``cnn``: the Kaggle-proven shape: two blocks of two 3x3 convolutions (32 then 64
  filters) with BatchNorm, ReLU, 2x2 pooling and dropout, then Dense ``hidden_layer_sizes``.
- ``strided``: the shape of the best-known Kaggle ensemble's members (Chris Deotte's
  "25 million images", 2018): two blocks of two 3x3 convolutions and a strided 5x5
  one (32 then 64 filters), each convolution followed by ReLU and BatchNorm, dropout
  after each block, a 4x4 convolution to 128 features, dropout and the output layer
  (``hidden_layer_sizes`` is not used).

The convolutional networks' two blocks take the estimator's ``filters`` (32 and 64 above,
the default; (64, 128) doubles them; ``strided``'s last convolution keeps its 128).
Input rows of 784 pixels are reshaped to (28, 28, 1) images for them (channels last).
Every builder takes the estimator's parameters and the run's random streams
(:mod:`kaggle_mnist.seeds`): weights are drawn from ``streams.init`` and each Dropout
layer is given ``streams.dropout``. It returns a :class:`~kaggle_mnist.nn.Sequential`
whose input is (N, n_features).
"""

import math

from kaggle_mnist.nn import ACTIVATIONS, BatchNorm, Dense, Dropout, Flatten, Reshape, Sequential
from kaggle_mnist.nn.conv import Conv2D, MaxPool2D


def hidden_layer_sizes(p):
    """The widths of the hidden layers: a tuple, or one int for one layer (as scikit-learn)."""
    sizes = p["hidden_layer_sizes"]
    return (sizes,) if isinstance(sizes, int) and not isinstance(sizes, bool) else sizes


def build_mlp(n_features, n_classes, p, streams, dtype):
    init = p["init"] if p["init"] != "auto" else ("he" if p["activation"] in ("relu", "leaky_relu") else "glorot")
    return Sequential(_dense_head([], n_features, n_classes, p, streams, dtype, init))


def _image_side(n_features):
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"convolutional architectures need square images; got {n_features} features")
    return side


def _dense_head(layers, n_in, n_classes, p, streams, dtype, init="he"):
    """Append Dense layers of ``hidden_layer_sizes`` (each with optional BatchNorm, the
    activation, optional Dropout) and the output layer to ``layers``; return them."""
    for width in hidden_layer_sizes(p):
        layers.append(Dense(n_in, width, streams.init, init, dtype))
        if p["batchnorm"]:
            layers.append(BatchNorm(width, dtype=dtype))
        layers.append(ACTIVATIONS[p["activation"]]())
        if p["dropout"]:
            layers.append(Dropout(p["dropout"], streams.dropout))
        n_in = width
    out_init = "glorot" if init == "he" else init
    layers.append(Dense(n_in, n_classes, streams.init, out_init, dtype))
    return layers


def build_lenet(n_features, n_classes, p, streams, dtype):
    side = _image_side(n_features)
    act = ACTIVATIONS[p["activation"]]
    # Pooling before the activation: max commutes with any increasing activation, so
    # the outputs are the same, and the activation runs on a quarter of the values.
    f1, f2 = p["filters"]  # 32, 64 by default
    layers = [Reshape((side, side, 1)),  # (N, 28, 28, 1)
              Conv2D(1, f1, 5, streams.init, padding=2, dtype=dtype), MaxPool2D(2), act(),  # (N, 14, 14, f1)
              Conv2D(f1, f2, 5, streams.init, padding=2, dtype=dtype), MaxPool2D(2), act(),  # (N, 7, 7, f2)
              Flatten()]  # (N, 49 * f2)
    return Sequential(_dense_head(layers, (side // 4) ** 2 * f2, n_classes, p, streams, dtype))


def build_cnn(n_features, n_classes, p, streams, dtype):
    side = _image_side(n_features)
    act = ACTIVATIONS[p["activation"]]
    layers, c_in = [Reshape((side, side, 1))], 1
    for width in p["filters"]:  # (N, 28, 28, f1) -> (N, 14, 14, f1) -> (N, 14, 14, f2) -> (N, 7, 7, f2)
        for i in range(2):
            layers += [Conv2D(c_in, width, 3, streams.init, padding=1, dtype=dtype),
                       BatchNorm(width, dtype=dtype, channel_axis=-1)]
            if i == 1:  # pool before the activation: same result, a quarter of the work
                layers.append(MaxPool2D(2))
            layers.append(act())
            c_in = width
        if p["dropout"]:
            layers.append(Dropout(p["dropout"] / 2, streams.dropout))
    layers.append(Flatten())
    return Sequential(_dense_head(layers, (side // 4) ** 2 * c_in, n_classes, p, streams, dtype))


def build_strided(n_features, n_classes, p, streams, dtype):
    """Two blocks of 3x3 convolutions, each ending in a strided 5x5 one that halves the
    maps (a pooling the network learns), every convolution followed by the activation
    and BatchNorm; then a 4x4 convolution to 128 features and the Dense head."""
    side = _image_side(n_features)
    act = ACTIVATIONS[p["activation"]]
    layers, c_in, size = [Reshape((side, side, 1))], 1, side
    for width in p["filters"]:  # (N, 28, 28, 1) -> (N, 12, 12, f1) -> (N, 4, 4, f2)
        for kernel, stride, padding in ((3, 1, 0), (3, 1, 0), (5, 2, 2)):
            layers += [Conv2D(c_in, width, kernel, streams.init, stride=stride, padding=padding, dtype=dtype),
                       act(), BatchNorm(width, dtype=dtype, channel_axis=-1)]
            c_in, size = width, (size + 2 * padding - kernel) // stride + 1
        if p["dropout"]:
            layers.append(Dropout(p["dropout"], streams.dropout))
    layers += [Conv2D(c_in, 128, size, streams.init, dtype=dtype), act(),  # (N, 1, 1, 128)
               BatchNorm(128, dtype=dtype, channel_axis=-1), Flatten()]
    if p["dropout"]:
        layers.append(Dropout(p["dropout"], streams.dropout))
    return Sequential(_dense_head(layers, 128, n_classes, {**p, "hidden_layer_sizes": ()}, streams, dtype))


ARCHITECTURES = {"mlp": build_mlp, "lenet": build_lenet, "cnn": build_cnn, "strided": build_strided}


def build(architecture, n_features, n_classes, params, streams, dtype):
    """The network called ``architecture`` for ``params`` (the estimator's get_params())."""
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {architecture!r}") from None
    return builder(n_features, n_classes, params, streams, dtype)
