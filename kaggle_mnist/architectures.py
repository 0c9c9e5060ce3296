"""Networks by name: what ``NumpyNetClassifier(architecture=...)`` builds.

- ``mlp``: Dense layers of ``hidden_sizes``, each followed by optional BatchNorm, the
  activation and optional Dropout; then a Dense layer to the class logits.

Every builder takes the estimator's parameters and an explicit generator, and returns
a :class:`~kaggle_mnist.nn.Sequential` whose input is (N, n_features).
"""

from kaggle_mnist.nn import ACTIVATIONS, BatchNorm, Dense, Dropout, Sequential


def build_mlp(n_features, n_classes, p, rng, dtype):
    init = p["init"] if p["init"] != "auto" else ("he" if p["activation"] in ("relu", "leaky_relu") else "glorot")
    layers, n_in = [], n_features
    for width in p["hidden_sizes"]:
        layers.append(Dense(n_in, width, rng, init, dtype))
        if p["batchnorm"]:
            layers.append(BatchNorm(width, dtype=dtype))
        layers.append(ACTIVATIONS[p["activation"]]())
        if p["dropout"]:
            layers.append(Dropout(p["dropout"], rng))
        n_in = width
    layers.append(Dense(n_in, n_classes, rng, "glorot" if init == "he" else init, dtype))
    return Sequential(layers)


ARCHITECTURES = {"mlp": build_mlp}


def build(architecture, n_features, n_classes, params, rng, dtype):
    """The network called ``architecture`` for ``params`` (the estimator's get_params())."""
    try:
        builder = ARCHITECTURES[architecture]
    except KeyError:
        raise ValueError(f"architecture must be one of {sorted(ARCHITECTURES)}, got {architecture!r}") from None
    return builder(n_features, n_classes, params, rng, dtype)
