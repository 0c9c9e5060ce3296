"""NumpyNetClassifier: the from-scratch network as a scikit-learn classifier.

It follows scikit-learn's estimator contract, so ``cross_val_score``, ``GridSearchCV``
and ``Pipeline`` take it as they take ``MLPClassifier``: ``__init__`` only stores its
arguments, ``fit`` validates them and the data and returns ``self``, and everything
learned ends in an underscore (``model_``, ``classes_``, ``loss_curve_``, ...).

X is used as given: no hidden rescaling. For pixels, put a
:class:`~kaggle_mnist.pipeline.PixelScaler` in front (the presets do).
"""

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from kaggle_mnist import architectures, seeds
from kaggle_mnist.augment import AUGMENTERS, TTA_TRANSFORMS, make_augmenter, tta_views
from kaggle_mnist.errors import TrainingDivergedError
from kaggle_mnist.nn import ACTIVATIONS, SoftmaxCrossEntropy, make_optimizer, make_schedule, softmax
from kaggle_mnist.nn.init import INITIALIZERS
from kaggle_mnist.nn.optimizers import OPTIMIZERS
from kaggle_mnist.nn.schedules import SCHEDULES
from kaggle_mnist.training import History, stepper, train


class NumpyNetClassifier(ClassifierMixin, BaseEstimator):
    """A neural-network classifier trained with NumPy alone.

    Parameters:
        hidden_sizes: widths of the hidden layers of the ``mlp`` architecture.
        activation: "relu", "leaky_relu", "sigmoid" or "tanh".
        optimizer: "sgd", "momentum", "nesterov", "adam" or "adamw".
        learning_rate: the peak learning rate.
        batch_size: rows per step; None for full-batch gradient descent.
        max_epochs: passes over the training data.
        weight_decay: L2 (sgd, adam) or decoupled (adamw) decay of the weights.
        dropout: probability of dropping a hidden unit in training.
        early_stopping: hold out ``validation_fraction`` of the rows, stop after
            ``n_iter_no_change`` epochs without a lower validation loss, and keep the
            best weights.
        validation_fraction: share of rows held out for early stopping.
        n_iter_no_change: patience of early stopping, in epochs.
        random_state: None, an int or a Generator/RandomState: seeds initialisation,
            shuffling, dropout and augmentation. An int repeats a run exactly.
        verbose: 0 silent; 1 progress per epoch (a bar on a terminal).
        architecture: the network (see :mod:`kaggle_mnist.architectures`).
        batchnorm: BatchNorm after each hidden Dense layer.
        init: "auto" (He for ReLU, Glorot otherwise), "he", "glorot" or "uniform".
        lr_schedule: "constant", "step", "cosine" or "onecycle".
        warmup_epochs: epochs of linear learning-rate warm-up.
        momentum: for the "momentum" and "nesterov" optimizers.
        label_smoothing: spread this much target probability over all classes.
        augment: None, or the name of an augmentation of 28x28 images (see
            :mod:`kaggle_mnist.augment`), applied to each training batch.
        tta: number of extra augmented views averaged at prediction (0: none).
        dtype: "float32" (fast) or "float64".
        engine: run training and prediction with the engine where it has a faster way
            for the network (``kaggle_mnist/engine.py``); False: the plain textbook step.

    Attributes:
        model_: the trained :class:`~kaggle_mnist.nn.Sequential`.
        classes_: (n_classes,) the labels, sorted.
        loss_curve_: training loss per epoch.
        validation_scores_: validation accuracy per epoch (with early stopping).
        n_iter_: epochs trained.
        history_: :class:`~kaggle_mnist.training.History` of the run.
        interrupted_: True if Ctrl-C stopped training early.
    """

    def __init__(self, hidden_sizes=(256, 128), activation="relu", optimizer="adam", learning_rate=1e-3,
                 batch_size=128, max_epochs=20, weight_decay=0.0, dropout=0.0, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None, verbose=0,
                 architecture="mlp", batchnorm=False, init="auto", lr_schedule="constant", warmup_epochs=0,
                 momentum=0.9, label_smoothing=0.0, augment=None, tta=0, dtype="float32", engine=True):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.architecture = architecture
        self.batchnorm = batchnorm
        self.init = init
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
        self.momentum = momentum
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.tta = tta
        self.dtype = dtype
        self.engine = engine

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y):
        """Train a new network on X (n_samples, n_features) and y (n_samples,)."""
        return self._fit(X, y, epochs=self.max_epochs, reset=True)

    def partial_fit(self, X, y, classes=None):
        """Train one more epoch on (X, y); the first call needs ``classes``."""
        first = not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, epochs=1, reset=first, classes=classes)

    def _fit(self, X, y, epochs, reset, classes=None):
        self._check_params()
        dtype = np.dtype(self.dtype)
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float32, np.float64))
        X = X.astype(dtype, copy=False)
        check_classification_targets(y)
        if reset:
            self.classes_ = unique_labels(y) if classes is None else unique_labels(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got 1 class")
            self._seed_ = self._seed()  # the one integer every random stream comes from
            self._streams = seeds.streams(self._seed_)
            self.model_ = architectures.build(self.architecture, X.shape[1], len(self.classes_),
                                              self.get_params(), self._streams, dtype)
            self._optimizer = make_optimizer(self.optimizer, self.learning_rate, self.weight_decay, self.momentum)
            self.history_ = History()
        y_index = np.searchsorted(self.classes_, y)
        y_index = np.minimum(y_index, len(self.classes_) - 1)
        unseen = self.classes_[y_index] != y
        if unseen.any():
            raise ValueError(f"y holds label {y[unseen][0]!r}, which is not in classes_ {self.classes_.tolist()}")

        X_val = y_val = None
        if self.early_stopping and reset:
            X, X_val, y_index, y_val = self._validation_split(X, y_index)
            if len(np.unique(y_index)) < 2:
                raise ValueError("early stopping left fewer than 2 classes to train on; "
                                 "use more rows or a smaller validation_fraction")
        n_batches = 1 if self.batch_size is None else -(-len(X) // min(self.batch_size, len(X)))
        total = epochs * n_batches
        schedule = make_schedule(self.lr_schedule if reset else "constant", self.learning_rate, total,
                                 self.warmup_epochs * n_batches)
        augment = make_augmenter(self.augment) if self.augment else None
        try:
            self.history_ = train(
                self.model_, X, y_index, loss_fn=SoftmaxCrossEntropy(self.label_smoothing),
                optimizer=self._optimizer, schedule=schedule, epochs=epochs, batch_size=self.batch_size,
                rng=self._streams.data, X_val=X_val, y_val=y_val, early_stopping=self.early_stopping,
                patience=self.n_iter_no_change, augment=augment, verbose=self.verbose,
                history=self.history_, first_step=self.history_.steps, use_engine=self.engine,
            )
        except TrainingDivergedError:
            self._set_curves()
            raise
        self._set_curves()
        return self

    def _set_curves(self):
        self.loss_curve_ = list(self.history_.loss)
        self.validation_scores_ = list(self.history_.val_accuracy)
        self.n_iter_ = len(self.loss_curve_)
        self.interrupted_ = self.history_.interrupted

    def _validation_split(self, X, y):
        n_val = max(int(round(self.validation_fraction * len(X))), len(self.classes_))
        stratify = y if np.bincount(y).min() >= 2 and n_val < len(X) - len(self.classes_) else None
        return train_test_split(X, y, test_size=n_val, stratify=stratify, random_state=self._seed_ % 2**32)

    def _seed(self):
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        if isinstance(self.random_state, np.random.Generator):
            return int(self.random_state.integers(2**63))
        if self.random_state is None:  # fresh entropy from the OS, never the global RNG
            return int(np.random.SeedSequence().entropy % 2**63)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _check_params(self):
        """Raise ValueError naming the first parameter that cannot work: all of them are
        checked before any work, so a bad value never costs a training run."""
        def bad(name, allowed):
            return ValueError(f"{name} must be {allowed}, got {getattr(self, name)!r}")

        def number(name, low=None, high=None, integer=False, low_open=False, high_open=True):
            value = getattr(self, name)
            kind = numbers.Integral if integer else numbers.Real
            ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
            ok = ok and (low is None or (value > low if low_open else value >= low))
            ok = ok and (high is None or (value < high if high_open else value <= high))
            if not ok:
                lo, hi = "(" if low_open else "[", ")" if high_open else "]"
                span = f"{lo}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{hi}"
                raise bad(name, f"{'an integer' if integer else 'a number'} in {span}")

        if not isinstance(self.hidden_sizes, (tuple, list)) or not all(
                isinstance(h, numbers.Integral) and not isinstance(h, bool) and h > 0 for h in self.hidden_sizes):
            raise bad("hidden_sizes", "a tuple of positive integers")
        choices = {"activation": ACTIVATIONS, "optimizer": OPTIMIZERS, "lr_schedule": SCHEDULES,
                   "init": [*INITIALIZERS, "auto"], "architecture": architectures.ARCHITECTURES,
                   "dtype": ["float32", "float64"]}
        for name, allowed in choices.items():
            if not isinstance(getattr(self, name), str) or getattr(self, name) not in allowed:
                raise bad(name, f"one of {sorted(allowed)}")
        if self.augment is not None and (not isinstance(self.augment, str) or self.augment not in AUGMENTERS):
            raise bad("augment", f"None or one of {sorted(AUGMENTERS)}")
        for name in ("early_stopping", "batchnorm", "engine"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise bad(name, "True or False")
        number("learning_rate", 0, low_open=True, high=None)
        if self.batch_size is not None:
            number("batch_size", 1, integer=True)
        number("max_epochs", 1, integer=True)
        number("weight_decay", 0)
        number("dropout", 0, 1)
        number("validation_fraction", 0, 1, low_open=True)
        number("n_iter_no_change", 1, integer=True)
        number("warmup_epochs", 0, integer=True)
        number("momentum", 0, 1)
        number("label_smoothing", 0, 1)
        number("tta", 0, len(TTA_TRANSFORMS), integer=True, high_open=False)
        number("verbose", 0, integer=True)
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            number("random_state", 0, seeds.MAX_SEED, integer=True, high_open=False)
        elif not (self.random_state is None
                  or isinstance(self.random_state, (np.random.Generator, np.random.RandomState))):
            raise bad("random_state", f"None, an integer in [0, {seeds.MAX_SEED}] or a NumPy generator")

    # ------------------------------------------------------------------ predicting
    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes), columns in ``classes_`` order.

        Inference runs in float64: float32 matrix products can differ in the last bits
        with the number of rows multiplied together, and a row's prediction should
        not depend on which rows it is predicted with.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        logits = self._logits(X)
        proba = softmax(logits.astype(np.float64))
        if self.tta:
            for view in tta_views(X, self.tta):
                proba += softmax(self._logits(view).astype(np.float64))
            proba /= self.tta + 1
        return proba

    def _logits(self, X, batch_size=256):
        # Small batches bound memory: a convolution's patch matrix for 256 float64 images
        # is 320 MB; for 1,024 it was 1.3 GB (3.6 GB peak in predict.py). The engine
        # shares the work out as in training (engine.py).
        with stepper(self.model_, use_engine=self.engine) as runner:
            return np.concatenate([runner.predict(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    def predict(self, X):
        """The most probable label for each row: (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
