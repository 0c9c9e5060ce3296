"""Networks by name: what ``NumpyNetClassifier(architecture=...)`` builds.

- ``mlp``: Dense layers of ``hidden_sizes``, each followed by optional BatchNorm, the
  activation and optional Dropout; then a Dense layer to the class logits.
- ``lenet``: the classic 32c5-64c5-fc128: two 5x5 convolutions ('same' padding),
  each followed by 2x2 max pooling and the activation, then Dense layers of
  ``hidden_sizes``. Input rows of 784 pixels are reshaped to 28x28x1 images.
- ``cnn``: the Kaggle-proven shape: two blocks of two 3x3 convolutions (32 then 64
  filters) with BatchNorm, ReLU, 2x2 pooling and dropout, then Dense ``hidden_sizes``.

Every builder takes the estimator's parameters and an explicit generator, and returns
a :class:`~kaggle_mnist.nn.Sequential` whose input is (N, n_features).
"""

import math

from kaggle_mnist.nn import ACTIVATIONS, BatchNorm, Dense, Dropout, Flatten, Reshape, Sequential
from kaggle_mnist.nn.conv import Conv2D, MaxPool2D


# In an MLP, a Dense layer with at least this many weights computes in two row blocks,
# one per thread in training (nn/parallel.py); smaller, two threads cost more than they save.
BLOCKS_FROM = 2**15


def build_mlp(n_features, n_classes, p, rng, dtype):
    init = p["init"] if p["init"] != "auto" else ("he" if p["activation"] in ("relu", "leaky_relu") else "glorot")
    return _dense_head([], n_features, n_classes, p, rng, dtype, init, blocks_from=BLOCKS_FROM)


def _image_side(n_features):
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"convolutional architectures need square images; got {n_features} features")
    return side


def _dense_head(layers, n_in, n_classes, p, rng, dtype, init="he", blocks_from=None, split_batch=False):
    """Append Dense layers of ``hidden_sizes`` (each with optional BatchNorm, the
    activation, optional Dropout) and the output layer; return the Sequential.
    Layers with at least ``blocks_from`` weights compute in two row blocks;
    ``split_batch``: train data parallel (see nn/parallel.py)."""
    def blocks(n_in, n_out):
        return 2 if blocks_from is not None and n_in * n_out >= blocks_from else 1

    for width in p["hidden_sizes"]:
        layers.append(Dense(n_in, width, rng, init, dtype, blocks=blocks(n_in, width)))
        if p["batchnorm"]:
            layers.append(BatchNorm(width, dtype=dtype))
        layers.append(ACTIVATIONS[p["activation"]]())
        if p["dropout"]:
            layers.append(Dropout(p["dropout"], rng))
        n_in = width
    out_init = "glorot" if init == "he" else init
    layers.append(Dense(n_in, n_classes, rng, out_init, dtype, blocks=blocks(n_in, n_classes)))
    return Sequential(layers, split_batch=split_batch)


def build_lenet(n_features, n_classes, p, rng, dtype):
    side = _image_side(n_features)
    act = ACTIVATIONS[p["activation"]]
    # Pooling before the activation: max commutes with any increasing activation, so
    # the outputs are the same, and the activation runs on a quarter of the values.
    layers = [Reshape((side, side, 1)),
              Conv2D(1, 32, 5, rng, padding=2, dtype=dtype), MaxPool2D(2), act(),
              Conv2D(32, 64, 5, rng, padding=2, dtype=dtype), MaxPool2D(2), act(), Flatten()]
    # Trained data parallel, half of each batch per thread: its products are large, and
    # half of its time is single-threaded NumPy work that BLAS's threads would not share.
    # (Not ``cnn``: two half batches would each update BatchNorm's running statistics.)
    split = not p["batchnorm"]
    return _dense_head(layers, (side // 4) ** 2 * 64, n_classes, p, rng, dtype, split_batch=split)


def build_cnn(n_features, n_classes, p, rng, dtype):
    side = _image_side(n_features)
    act = ACTIVATIONS[p["activation"]]
    layers, c_in = [Reshape((side, side, 1))], 1
    for width in (32, 64):
        for i in range(2):
            layers += [Conv2D(c_in, width, 3, rng, padding=1, dtype=dtype),
                       BatchNorm(width, dtype=dtype, channel_axis=-1)]
            if i == 1:  # pool before the activation: same result, a quarter of the work
                layers.append(MaxPool2D(2))
            layers.append(act())
            c_in = width
        if p["dropout"]:
            layers.append(Dropout(p["dropout"] / 2, rng))
    layers.append(Flatten())
    return _dense_head(layers, (side // 4) ** 2 * 64, n_classes, p, rng, dtype)


ARCHITECTURES = {"mlp": build_mlp, "lenet": build_lenet, "cnn": build_cnn}


def build(architecture, n_features, n_classes, params, rng, dtype):
    """The network called ``architecture`` for ``params`` (the estimator's get_params())."""
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {architecture!r}") from None
    return builder(n_features, n_classes, params, rng, dtype)
