"""NumpyNetClassifier: scikit-learn's own suite, learning, determinism, training control."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import check_estimator

from conftest import blob_digits
from kaggle_mnist import NumpyNetClassifier, architectures, seeds
from kaggle_mnist.nn import softmax
from kaggle_mnist.errors import TrainingDivergedError
from kaggle_mnist.pipeline import make_pipeline


def test_scikit_learn_estimator_checks_all_pass(monkeypatch):
    # Lets check_array_api_input run (with NumPy inputs: that dispatch changes nothing)
    # instead of skipping itself.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    results = check_estimator(NumpyNetClassifier(), on_fail=None)
    failed = [f"{r['check_name']}: {r['exception']}" for r in results if r["status"] == "failed"]
    skipped = [r["check_name"] for r in results if r["status"] == "skipped"]
    assert not failed and not skipped and len(results) > 40


def test_overfits_32_samples():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 20)), rng.integers(0, 4, 32)  # pure noise: only memorising works
    clf = NumpyNetClassifier(hidden_layer_sizes=(64,), learning_rate_init=1e-2, batch_size=None, max_iter=300, random_state=0)
    clf.fit(X, y)
    assert clf.score(X, y) == 1.0 and clf.loss_curve_[-1] < 0.05 < clf.loss_curve_[0]


def test_same_seed_same_model_other_seed_other_model():
    X, y = blob_digits(300, noise=120)
    X = X / 255
    make = lambda seed: NumpyNetClassifier(hidden_layer_sizes=(32,), max_iter=3, dropout=0.2, random_state=seed)  # noqa
    a, b, c = make(0).fit(X, y), make(0).fit(X, y), make(1).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ == b.loss_curve_ and a.loss_curve_ != c.loss_curve_


def test_any_label_type_and_partial_fit():
    X, y = blob_digits(200)
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])[y]
    clf = NumpyNetClassifier(hidden_layer_sizes=(32,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X / 255, names)
    for _ in range(5):
        clf.partial_fit(X / 255, names, classes=np.unique(names))
    assert clf.n_iter_ == 5 and set(clf.predict(X / 255)) <= set(names) and clf.score(X / 255, names) > 0.9
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3] / 255, ["ten", "one", "two"])


def test_full_batch_is_plain_gradient_descent():
    X, y = blob_digits(100)
    clf = NumpyNetClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1, batch_size=None, max_iter=4,
                             random_state=0).fit(X / 255, y)
    assert clf.history_.steps == 4  # one step per epoch


def test_early_stopping_keeps_best_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(400, 30)), rng.integers(0, 3, 400)  # random labels: memorising hurts validation
    clf = NumpyNetClassifier(hidden_layer_sizes=(256,), learning_rate_init=1e-2, max_iter=60, early_stopping=True,
                             n_iter_no_change=3, random_state=0).fit(X, y)
    h = clf.history_
    assert h.stopped_early and clf.n_iter_ < 60
    best = max(range(len(h.val_loss)), key=lambda e: (h.val_accuracy[e], -h.val_loss[e]))
    assert h.best_epoch == best and h.best_epoch == clf.n_iter_ - 4
    assert len(clf.validation_scores_) == clf.n_iter_


def test_predict_proba_is_the_softmax_of_the_logits_whatever_the_label_smoothing():
    """Label smoothing shapes the training targets only: the probabilities are the
    network's own (a smoothed output would put at least eps/K on every class)."""
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=5, label_smoothing=0.3, random_state=0).fit(X / 255, y)
    X64 = X[:30] / 255
    expected = softmax(clf.model_.forward(X64).astype(np.float64))
    np.testing.assert_allclose(clf.predict_proba(X64), expected, rtol=1e-10)
    assert clf.predict_proba(X64).min() < 0.3 / 10


def test_divergence_names_epoch_and_batch_and_keeps_last_good_weights():
    X, y = blob_digits(256)
    clf = NumpyNetClassifier(hidden_layer_sizes=(32,), solver="sgd", learning_rate_init=1.0, batch_size=64, max_iter=5,
                             random_state=0)
    with pytest.raises(TrainingDivergedError, match=r"became (nan|inf) at epoch 1, batch 1 "):
        clf.fit(X * np.float32(1e36), y)  # float32 overflows in the first product
    assert all(np.isfinite(p).all() for p in clf.model_.params().values())


def test_ctrl_c_stops_cleanly_and_keeps_the_model(monkeypatch):
    from kaggle_mnist import augment

    X, y = blob_digits(256)
    calls = {"n": 0}

    class Interrupt:
        def __call__(self, xb, rng):
            calls["n"] += 1
            if calls["n"] == 9:  # during the third epoch (4 batches each)
                raise KeyboardInterrupt
            return xb

    monkeypatch.setitem(augment.AUGMENTERS, "interrupt", Interrupt)
    clf = NumpyNetClassifier(hidden_layer_sizes=(16,), batch_size=64, max_iter=10, augment="interrupt", random_state=0)
    clf.fit(X / 255, y)
    assert clf.interrupted_ and clf.n_iter_ == 2
    assert clf.predict(X[:5] / 255).shape == (5,)


@pytest.mark.parametrize("name, value, message", [
    ("hidden_layer_sizes", (0,), "hidden_layer_sizes must be"), ("activation", "gelu", "activation must be one of"),
    ("solver", "rmsprop", "solver must be"), ("learning_rate_init", -1, "learning_rate_init must be"),
    ("batch_size", 0, "batch_size must be"), ("dropout", 1.0, "dropout must be"),
    ("architecture", "resnet", "architecture must be"), ("augment", "flip", "augment must be"),
    ("alpha", 0.1, "does not go with the adamw solver"), ("deskew", "yes", "deskew must be True or False"),
    ("digit_width", 0, "digit_width must be an integer in"), ("digit_width", 14.5, "digit_width must be an integer"),
    ("filters", (32,), "filters must be a pair"), ("filters", (32, 0), "filters must be a pair"),
])
def test_bad_parameters_raise_naming_the_parameter(name, value, message):
    X, y = blob_digits(50)
    solver = {"solver": "adamw"} if name == "alpha" else {}
    with pytest.raises(ValueError, match=message):
        NumpyNetClassifier(max_iter=1, **{**solver, name: value}).fit(X, y)


def test_works_inside_pipeline_cross_val_score_and_grid_search():
    X, y = blob_digits(300)
    pipe = make_pipeline(NumpyNetClassifier(hidden_layer_sizes=(32,), max_iter=20, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9
    grid = GridSearchCV(pipe, {"net__hidden_layer_sizes": [(8,), (32,)], "net__alpha": [0.0, 1e-3]}, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4 and grid.best_score_ > 0.9
    assert grid.best_params_["net__hidden_layer_sizes"] in [(8,), (32,)]


def test_scikit_learn_attributes_and_names():
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=24, max_iter=3, random_state=0).fit(X / 255, y)  # an int: one layer
    assert [W.shape for W in clf.coefs_] == [(784, 24), (24, 10)] and [b.shape for b in clf.intercepts_] == [(24,), (10,)]
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.best_validation_score_ is None and clf.n_iter_ == 3 and clf.t_ == 3 * 200
    stopped = NumpyNetClassifier(hidden_layer_sizes=(24,), max_iter=4, early_stopping=True, random_state=0).fit(X / 255, y)
    assert stopped.best_loss_ is None and stopped.best_validation_score_ == max(stopped.validation_scores_)


def test_warm_start_continues_and_alpha_is_an_l2_penalty():
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0, warm_start=True,
                             learning_rate="cosine").fit(X / 255, y)
    first = clf.coefs_[0].copy()
    clf.fit(X / 255, y)
    assert clf.n_iter_ == 4 and clf.t_ == 4 * 200 and not np.array_equal(clf.coefs_[0], first)
    assert clf.history_.lr[2] > clf.history_.lr[1]  # the second fit ran its cosine from the top again
    cold = NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0).fit(X / 255, y)
    assert cold.n_iter_ == 2
    # alpha as MLPClassifier's: alpha * W / batch rows added to the gradient. One full-batch
    # SGD step from the same start, with and without it, differs by exactly lr * that.
    def one_step(alpha):
        return NumpyNetClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.1, batch_size=None,
                                  max_iter=1, alpha=alpha, random_state=0, dtype="float64").fit(X / 255, y)

    params = NumpyNetClassifier(hidden_layer_sizes=(16,), init="auto", dropout=0.0).get_params()
    W0 = architectures.build("mlp", 784, 10, params, seeds.streams(0), np.float64).params()["0.W"]
    np.testing.assert_allclose(one_step(0.5).coefs_[0] - one_step(0.0).coefs_[0], -0.1 * 0.5 / 200 * W0, atol=1e-12)


@pytest.mark.parametrize("schedule, lr", [("invscaling", 2.0), ("adaptive", 0.1)])
def test_scikit_learn_schedules(schedule, lr):
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate=schedule, learning_rate_init=lr,
                             max_iter=6, random_state=0).fit(X / 255, y)
    lrs = clf.history_.lr
    assert lrs[-1] < lrs[0] if schedule == "invscaling" else lrs[-1] <= lrs[0]
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] and clf.score(X / 255, y) > 0.3  # chance is 0.1


def test_batchnorm_leaky_relu_and_schedules_train():
    X, y = blob_digits(400)
    clf = NumpyNetClassifier(hidden_layer_sizes=(64, 32), activation="leaky_relu", batchnorm=True, solver="nesterov",
                             learning_rate_init=0.05, learning_rate="cosine", warmup_epochs=1, label_smoothing=0.1,
                             max_iter=8, random_state=0, dtype="float64").fit(X / 255, y)
    assert clf.score(X / 255, y) > 0.95 and clf.model_.params()["0.W"].dtype == np.float64


def test_early_stopping_picks_best_accuracy_not_lowest_loss(monkeypatch):
    """Regression: CV folds were rolled back to epoch 5 of 30, where the validation
    cross-entropy bottomed out while accuracy went on rising."""
    from kaggle_mnist import training

    scripted = iter([(0.50, 0.90), (0.30, 0.92), (0.40, 0.95), (0.45, 0.95), (0.60, 0.93)])  # (loss, accuracy)
    monkeypatch.setattr(training, "evaluate", lambda model, X, y, forward=None: next(scripted))
    X, y = blob_digits(200)
    clf = NumpyNetClassifier(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, n_iter_no_change=10,
                             random_state=0).fit(X / 255, y)
    assert clf.history_.best_epoch == 2  # highest accuracy; of the tied 0.95s, the lower loss


def test_deskew_straightens_the_images_of_fit_and_of_predict():
    """deskew=True is the same model as one trained and asked on deskewed pixels; it
    needs 28x28 images."""
    from kaggle_mnist.augment import deskew

    X, y = blob_digits(60)
    X = (X / 255).astype(np.float32)
    make = lambda **kw: NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0, **kw)  # noqa
    straight = make(deskew=True).fit(X, y)
    by_hand = make().fit(deskew(X), y)
    np.testing.assert_allclose(straight.predict_proba(X[:7]), by_hand.predict_proba(deskew(X[:7])), rtol=1e-6)
    assert not np.allclose(straight.predict_proba(X[:7]), make().fit(X, y).predict_proba(X[:7]))
    with pytest.raises(ValueError, match="deskew takes 28x28 images"):
        make(deskew=True).fit(X[:, :100], y)


def test_digit_width_normalizes_the_images_of_fit_and_of_predict_after_deskew():
    """digit_width=w is the same model as one trained and asked on width-normalized
    pixels, and with deskew it normalizes the deskewed images."""
    from kaggle_mnist.augment import deskew, normalize_width

    X, y = blob_digits(60)
    X = (X / 255).astype(np.float32)
    make = lambda **kw: NumpyNetClassifier(hidden_layer_sizes=(16,), max_iter=2, random_state=0, **kw)  # noqa
    wide = make(digit_width=14).fit(X, y)
    by_hand = make().fit(normalize_width(X, 14), y)
    np.testing.assert_allclose(wide.predict_proba(X[:7]), by_hand.predict_proba(normalize_width(X[:7], 14)), rtol=1e-6)
    assert not np.allclose(wide.predict_proba(X[:7]), make().fit(X, y).predict_proba(X[:7]))
    both = make(deskew=True, digit_width=14).fit(X, y)
    by_hand = make().fit(normalize_width(deskew(X), 14), y)
    np.testing.assert_allclose(both.predict_proba(X[:7]), by_hand.predict_proba(normalize_width(deskew(X[:7]), 14)),
                               rtol=1e-6)
