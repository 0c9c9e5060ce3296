"""kaggle-mnist: a Kaggle Digit Recognizer kit around a neural network written in NumPy.

The pieces, each a small module:

- ``kaggle_mnist.nn``: the from-scratch network library (NumPy only).
- ``kaggle_mnist.data``: load and validate Kaggle-format CSV files.
- ``kaggle_mnist.prepare``: build Kaggle-format files from the MNIST IDX files.
- ``kaggle_mnist.estimator``: :class:`NumpyNetClassifier`, a scikit-learn classifier.
- ``kaggle_mnist.presets``: named configurations, from the tutorial seeds to the CNN.
- ``kaggle_mnist.cv``: k-fold cross-validation and the fold ensemble.
- ``kaggle_mnist.submission``: write, validate and score submissions.
"""

__version__ = "0.2.0"

from kaggle_mnist.errors import KaggleMnistError  # noqa: E402


def __getattr__(name):
    # The estimator pulls in scikit-learn; import it only when asked for, so that
    # `import kaggle_mnist.data` stays light.
    if name == "NumpyNetClassifier":
        from kaggle_mnist.estimator import NumpyNetClassifier

        return NumpyNetClassifier
    raise AttributeError(f"module 'kaggle_mnist' has no attribute {name!r}")


__all__ = ["KaggleMnistError", "NumpyNetClassifier", "__version__"]
