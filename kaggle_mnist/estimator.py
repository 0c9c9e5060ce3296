"""NumpyNetClassifier: the from-scratch network as a scikit-learn classifier.

It follows scikit-learn's estimator contract, so ``cross_val_score``, ``GridSearchCV``
and ``Pipeline`` take it as they take ``MLPClassifier``: ``__init__`` only stores its
arguments, ``fit`` validates them and the data and returns ``self``, and everything
learned ends in an underscore (``model_``, ``classes_``, ``loss_curve_``, ...).

Where a parameter means what an ``MLPClassifier`` parameter means, it has that name
(``hidden_layer_sizes``, ``solver``, ``alpha``, ``learning_rate``,
``learning_rate_init``, ``max_iter``, ``tol``, ``warm_start``, ``early_stopping``, ...),
and so do the learned attributes (``loss_``, ``best_loss_``, ``best_validation_score_``,
``coefs_``, ``intercepts_``, ``n_iter_``, ``t_``). The rest are this kit's own.

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
from kaggle_mnist.augment import AUGMENTERS, SIDE, TTA_TRANSFORMS, deskew, make_augmenter, normalize_width, tta_views
from kaggle_mnist.nn import ACTIVATIONS, Dense, SoftmaxCrossEntropy, make_optimizer, make_schedule, softmax
from kaggle_mnist.nn.init import INITIALIZERS
from kaggle_mnist.nn.optimizers import OPTIMIZERS
from kaggle_mnist.nn.schedules import SCHEDULES
from kaggle_mnist.training import History, stepper, train


class NumpyNetClassifier(ClassifierMixin, BaseEstimator):
    """A neural-network classifier trained with NumPy alone.

    Parameters (scikit-learn's ``MLPClassifier`` names first):
        hidden_layer_sizes: widths of the hidden Dense layers.
        activation: "relu", "leaky_relu", "logistic" (or "sigmoid") or "tanh".
        solver: the optimizer: "sgd", "momentum", "nesterov", "adam" or "adamw".
        alpha: L2 penalty, as MLPClassifier's: ``alpha / 2 * ||W||^2`` per batch
            row, so each step adds ``alpha * W / batch rows`` to the weight gradient
            (every solver but "adamw", whose decay is ``weight_decay``).
        batch_size: rows per step; "auto" is min(200, n_samples); None for full-batch
            gradient descent.
        learning_rate: the schedule: "constant", "invscaling", "adaptive" (as
            MLPClassifier's), "step", "cosine" or "onecycle".
        learning_rate_init: the initial (for "onecycle", the peak) learning rate.
        power_t: the exponent of "invscaling".
        max_iter: epochs (passes over the training data).
        random_state: None, an int or a Generator/RandomState: seeds initialisation,
            shuffling, dropout and augmentation. An int repeats a run exactly.
        tol: with early stopping, an epoch counts as an improvement only if it raises
            the validation accuracy by more than ``tol`` (0: or matches it at a lower
            loss); also the threshold of the "adaptive" schedule.
        verbose: 0 silent; 1 progress per epoch (a bar on a terminal).
        warm_start: ``fit`` continues from the network of the last fit.
        momentum: for the "momentum" and "nesterov" solvers.
        early_stopping: hold out ``validation_fraction`` of the rows, stop after
            ``n_iter_no_change`` epochs without improvement, keep the best weights.
        validation_fraction: share of rows held out for early stopping.
        n_iter_no_change: patience of early stopping, in epochs.
        weight_decay: AdamW's decoupled weight decay (the "adamw" solver only).
        dropout: probability of dropping a hidden unit in training.
        architecture: the network (see :mod:`kaggle_mnist.architectures`).
        filters: the filters of the convolutional networks' two blocks of
            convolutions, (first, second); the "mlp" architecture has none.
        batchnorm: BatchNorm after each hidden Dense layer.
        init: "auto" (He for ReLU, Glorot otherwise), "he", "glorot" or "uniform".
        warmup_epochs: epochs of linear learning-rate warm-up.
        label_smoothing: spread this much target probability over all classes.
        augment: None, or the name of an augmentation of 28x28 images (see
            :mod:`kaggle_mnist.augment`), applied to each training batch.
        deskew: straighten and centre every 28x28 image by its second moments
            (:func:`~kaggle_mnist.augment.deskew`) before training and predicting.
        digit_width: None, or stretch or squeeze every 28x28 digit sideways to this
            many columns (:func:`~kaggle_mnist.augment.normalize_width`, after deskew)
            before training and predicting.
        tta: number of extra augmented views averaged at prediction (0: none).
        dtype: "float32" (fast) or "float64".
        engine: run training and prediction with the engine where it has a faster way
            for the network (``kaggle_mnist/engine/``); False: the plain textbook step.

    Attributes:
        model_: the trained :class:`~kaggle_mnist.nn.Sequential`.
        classes_: (n_classes,) the labels, sorted.
        loss_: the last epoch's training loss; loss_curve_: one per epoch.
        best_loss_: the lowest training loss (None with early stopping, as in
            scikit-learn); best_validation_score_: the best validation accuracy (None
            without early stopping); validation_scores_: one per epoch.
        coefs_, intercepts_: the weight matrices and bias vectors of the Dense layers,
            in order (views of the live arrays).
        n_iter_: epochs trained; t_: training samples seen.
        history_: :class:`~kaggle_mnist.training.History` of the run.
        interrupted_: True if Ctrl-C stopped training early.
    """

    def __init__(self, hidden_layer_sizes=(256, 128), activation="relu", *, solver="adam", alpha=0.0,
                 batch_size=128, learning_rate="constant", learning_rate_init=1e-3, power_t=0.5, max_iter=20,
                 random_state=None, tol=0.0, verbose=0, warm_start=False, momentum=0.9, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, weight_decay=0.0, dropout=0.0, architecture="mlp",
                 filters=(32, 64), batchnorm=False, init="auto", warmup_epochs=0, label_smoothing=0.0, augment=None,
                 deskew=False, digit_width=None, tta=0, dtype="float32", engine=True):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.architecture = architecture
        self.filters = filters
        self.batchnorm = batchnorm
        self.init = init
        self.warmup_epochs = warmup_epochs
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.deskew = deskew
        self.digit_width = digit_width
        self.tta = tta
        self.dtype = dtype
        self.engine = engine

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y):
        """Train on X (n_samples, n_features) and y (n_samples,): a new network, or with
        ``warm_start`` the last one, for ``max_iter`` epochs."""
        keep = self.warm_start and hasattr(self, "model_")
        return self._fit(X, y, epochs=self.max_iter, reset=not keep)

    def partial_fit(self, X, y, classes=None):
        """Train one more epoch on (X, y); the first call needs ``classes``."""
        first = not hasattr(self, "model_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, epochs=1, reset=first, classes=classes)

    def _normalize(self, X):
        """X (n_samples, 784) as the network sees it, in training and prediction alike:
        deskewed and normalized to ``digit_width`` columns, as the parameters ask."""
        if self.deskew:
            X = deskew(X)
        if self.digit_width is not None:
            X = normalize_width(X, self.digit_width)
        return X

    def _fit(self, X, y, epochs, reset, classes=None):
        check_params(self)
        dtype = np.dtype(self.dtype)
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float32, np.float64))
        X = self._normalize(X.astype(dtype, copy=False))
        check_classification_targets(y)
        if reset:
            self.classes_ = unique_labels(y) if classes is None else unique_labels(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; got 1 class")
            self._seed_ = self._seed()  # the one integer every random stream comes from
            self._streams = seeds.streams(self._seed_)
            self.model_ = architectures.build(self.architecture, X.shape[1], len(self.classes_),
                                              self.get_params(), self._streams, dtype)
            self.history_ = History()
            self.t_ = 0
        y_index = np.searchsorted(self.classes_, y)
        y_index = np.minimum(y_index, len(self.classes_) - 1)
        unseen = self.classes_[y_index] != y
        if unseen.any():
            raise ValueError(f"y holds label {y[unseen][0]!r}, which is not in classes_ {self.classes_.tolist()}")

        X_val = y_val = None
        if self.early_stopping and epochs > 1:
            X, X_val, y_index, y_val = self._validation_split(X, y_index)
            if len(np.unique(y_index)) < 2:
                raise ValueError("early stopping left fewer than 2 classes to train on; "
                                 "use more rows or a smaller validation_fraction")
        batch_rows = self._batch_rows(len(X))
        n_batches = -(-len(X) // batch_rows)
        if reset or not hasattr(self, "_optimizer"):
            decay = self.weight_decay if self.solver == "adamw" else self.alpha / batch_rows
            self._optimizer = make_optimizer(self.solver, self.learning_rate_init, decay, self.momentum)
        # Each fit runs its schedule from the start (with warm_start too); partial_fit after
        # the first call goes on at a constant rate, as scikit-learn's does.
        name = "constant" if (not reset and epochs == 1 and not self.warm_start) else self.learning_rate
        schedule = make_schedule(name, self.learning_rate_init, epochs * n_batches, self.warmup_epochs * n_batches,
                                 batch_rows, self.power_t, self.tol)
        epochs_before = len(self.history_.loss)
        try:
            self.history_ = train(
                self.model_, X, y_index, loss_fn=SoftmaxCrossEntropy(self.label_smoothing),
                optimizer=self._optimizer, schedule=schedule, epochs=epochs, batch_size=batch_rows,
                rng=self._streams.data, X_val=X_val, y_val=y_val, early_stopping=self.early_stopping,
                patience=self.n_iter_no_change, tol=self.tol,
                augment=make_augmenter(self.augment) if self.augment else None, verbose=self.verbose,
                history=self.history_, first_step=self.history_.steps, use_engine=self.engine,
            )
        finally:
            self.t_ += (len(self.history_.loss) - epochs_before) * len(X)
            self._set_learned()
        return self

    def _batch_rows(self, n_samples):
        if self.batch_size is None:
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _set_learned(self):
        history = self.history_
        self.loss_curve_ = list(history.loss)
        self.validation_scores_ = list(history.val_accuracy)
        self.n_iter_ = len(self.loss_curve_)
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.best_loss_ = None if self.early_stopping or not self.loss_curve_ else min(self.loss_curve_)
        self.best_validation_score_ = max(self.validation_scores_) if self.validation_scores_ else None
        self.interrupted_ = history.interrupted

    @property
    def coefs_(self):
        """The Dense layers' weight matrices, (n_in, n_out) each, input side first."""
        check_is_fitted(self)
        return [layer.params["W"] for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self):
        """The Dense layers' bias vectors, (n_out,) each."""
        check_is_fitted(self)
        return [layer.params["b"] for layer in self.model_.layers if isinstance(layer, Dense)]

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

    # ------------------------------------------------------------------ predicting
    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes), columns in ``classes_`` order.

        Inference runs in float64: float32 matrix products can differ in the last bits
        with the number of rows multiplied together, and a row's prediction should
        not depend on which rows it is predicted with.
        """
        check_is_fitted(self)
        X = self._normalize(validate_data(self, X, reset=False, dtype=np.float64))
        proba = softmax(self._logits(X).astype(np.float64))
        if self.tta:
            for view in tta_views(X, self.tta):
                proba += softmax(self._logits(view).astype(np.float64))
            proba /= self.tta + 1
        return proba

    def _logits(self, X, batch_size=256):
        # Small batches bound memory: a convolution's patch matrix for 256 float64 images
        # is 320 MB; for 1,024 it was 1.3 GB (3.6 GB peak in kaggle-mnist predict). The engine
        # shares the work out as in training (kaggle_mnist/engine/).
        with stepper(self.model_, use_engine=self.engine) as runner:
            return np.concatenate([runner.predict(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])

    def predict(self, X):
        """The most probable label for each row: (n_samples,)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


# ------------------------------------------------------------------ parameter checks
def check_params(est):
    """Raise ValueError naming the first parameter of ``est`` that cannot work: all of
    them are checked before any work, so a bad value never costs a training run."""
    def bad(name, allowed):
        return ValueError(f"{name} must be {allowed}, got {getattr(est, name)!r}")

    def number(name, low=None, high=None, integer=False, low_open=False, high_open=True):
        value = getattr(est, name)
        kind = numbers.Integral if integer else numbers.Real
        ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
        ok = ok and (low is None or (value > low if low_open else value >= low))
        ok = ok and (high is None or (value < high if high_open else value <= high))
        if not ok:
            lo, hi = "(" if low_open else "[", ")" if high_open else "]"
            span = f"{lo}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{hi}"
            raise bad(name, f"{'an integer' if integer else 'a number'} in {span}")

    def positive_integers(values):
        return isinstance(values, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in values)

    if not positive_integers(architectures.hidden_layer_sizes(est.get_params())):
        raise bad("hidden_layer_sizes", "a tuple of positive integers")
    if not (positive_integers(est.filters) and len(est.filters) == 2):
        raise bad("filters", "a pair of positive integers")
    choices = {"activation": ACTIVATIONS, "solver": OPTIMIZERS, "learning_rate": SCHEDULES,
               "init": [*INITIALIZERS, "auto"], "architecture": architectures.ARCHITECTURES,
               "dtype": ["float32", "float64"]}
    for name, allowed in choices.items():
        if not isinstance(getattr(est, name), str) or getattr(est, name) not in allowed:
            raise bad(name, f"one of {sorted(allowed)}")
    if est.augment is not None and (not isinstance(est.augment, str) or est.augment not in AUGMENTERS):
        raise bad("augment", f"None or one of {sorted(AUGMENTERS)}")
    for name in ("early_stopping", "batchnorm", "deskew", "engine", "warm_start"):
        if not isinstance(getattr(est, name), (bool, np.bool_)):
            raise bad(name, "True or False")
    number("learning_rate_init", 0, low_open=True)
    if est.batch_size is not None and est.batch_size != "auto":
        number("batch_size", 1, integer=True)
    number("max_iter", 1, integer=True)
    number("alpha", 0)
    number("weight_decay", 0)
    if est.weight_decay and est.solver != "adamw":
        raise ValueError(f"weight_decay is the adamw solver's decoupled decay (solver is {est.solver!r}); "
                         "alpha is the L2 penalty of the other solvers")
    if est.alpha and est.solver == "adamw":
        raise ValueError("alpha (an L2 penalty) does not go with the adamw solver, whose decay is weight_decay")
    number("power_t", 0)
    number("tol", 0)
    number("dropout", 0, 1)
    number("validation_fraction", 0, 1, low_open=True)
    number("n_iter_no_change", 1, integer=True)
    number("warmup_epochs", 0, integer=True)
    number("momentum", 0, 1)
    number("label_smoothing", 0, 1)
    number("tta", 0, len(TTA_TRANSFORMS), integer=True, high_open=False)
    if est.digit_width is not None:
        number("digit_width", 1, SIDE, integer=True, high_open=False)
    number("verbose", 0, integer=True)
    if isinstance(est.random_state, numbers.Integral) and not isinstance(est.random_state, bool):
        number("random_state", 0, seeds.MAX_SEED, integer=True, high_open=False)
    elif not (est.random_state is None or isinstance(est.random_state, (np.random.Generator, np.random.RandomState))):
        raise bad("random_state", f"None, an integer in [0, {seeds.MAX_SEED}] or a NumPy generator")
