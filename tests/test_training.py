"""The training loop: batches, early stopping, divergence, Ctrl-C."""

import numpy as np
import pytest
from conftest import blob_digits

from kaggle_mnist import architectures, seeds, training
from kaggle_mnist.errors import TrainingDivergedError
from kaggle_mnist.nn import SGD, Adam, SoftmaxCrossEntropy, make_schedule


def mlp(hidden=(32,), seed=0, dtype=np.float64, n_features=784):
    params = dict(hidden_layer_sizes=hidden, activation="relu", init="he", batchnorm=False, dropout=0.0)
    return architectures.build("mlp", n_features, 10, params, seeds.streams(seed), dtype)


def test_epoch_batches_cover_every_row_once_in_a_seeded_order():
    X, y = np.arange(50).reshape(25, 2), np.arange(25)
    batches = list(training.epoch_batches(X, y, 8, np.random.default_rng(0)))
    assert [len(yb) for _, yb in batches] == [8, 8, 8, 1]
    rows = np.concatenate([yb for _, yb in batches])
    assert sorted(rows) == list(range(25)) and list(rows) != list(range(25))
    assert all(np.array_equal(xb[:, 0] // 2, yb) for xb, yb in batches)  # X and y stay paired
    again = np.concatenate([yb for _, yb in training.epoch_batches(X, y, 8, np.random.default_rng(0))])
    assert np.array_equal(rows, again)
    (xb, yb), = training.epoch_batches(X, y, 25, np.random.default_rng(0))  # full batch: as given
    assert xb is X and yb is y


def fit(net, X, y, X_val, y_val, epochs, patience=100):
    return training.train(net, X, y, loss_fn=SoftmaxCrossEntropy(), optimizer=Adam(3e-2),
                          schedule=make_schedule("constant", 3e-2, 1), epochs=epochs, batch_size=32,
                          rng=np.random.default_rng(0), X_val=X_val, y_val=y_val, early_stopping=True,
                          patience=patience)


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    """Noisy labels: validation accuracy peaks, then memorisation lowers it. The model
    handed back must score exactly what the best epoch scored, not the last."""
    rng = np.random.default_rng(0)
    X, y = blob_digits(400, noise=90)
    y_noisy = np.where(rng.random(len(y)) < 0.4, rng.integers(0, 10, len(y)), y)
    X = X / 255
    net = mlp(hidden=(128,))
    history = fit(net, X[:300], y_noisy[:300], X[300:], y[300:], epochs=25)
    best = history.best_epoch
    assert best is not None and best < len(history.loss) - 1  # the test means something only if so
    assert (history.val_accuracy[best], -history.val_loss[best]) == max(
        zip(history.val_accuracy, (-v for v in history.val_loss)))
    loss, accuracy = training.evaluate(net, X[300:], y[300:])
    assert accuracy == history.val_accuracy[best] and loss == pytest.approx(history.val_loss[best], rel=1e-12)
    assert accuracy > history.val_accuracy[-1] or loss < history.val_loss[-1]


def test_patience_stops_training():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 784)), rng.integers(0, 10, 200)  # nothing to learn: no improvement
    history = fit(mlp(), X[:150], y[:150], X[150:], y[150:], epochs=50, patience=3)
    assert history.stopped_early and len(history.loss) == history.best_epoch + 4


def test_divergence_restores_the_start_of_the_epoch():
    X, y = blob_digits(128)
    net = mlp()
    before = net.state_dict()
    with pytest.raises(TrainingDivergedError, match=r"at epoch 1, batch \d+ .*start of epoch 1"):
        training.train(net, X * 1e300, y, loss_fn=SoftmaxCrossEntropy(), optimizer=SGD(1.0),
                       schedule=make_schedule("constant", 1.0, 1), epochs=2, batch_size=64,
                       rng=np.random.default_rng(0))
    for name, p in net.state_dict().items():
        assert np.array_equal(p, before[name]), name


def test_ctrl_c_returns_what_was_trained():
    X, y = blob_digits(256)
    calls = []

    def augment(xb, rng):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return xb

    history = training.train(mlp(), X / 255, y, loss_fn=SoftmaxCrossEntropy(), optimizer=Adam(1e-3),
                             schedule=make_schedule("constant", 1e-3, 1), epochs=5, batch_size=64,
                             rng=np.random.default_rng(0), augment=augment)
    assert history.interrupted and len(history.loss) == 1 and history.steps == 5


def test_each_call_runs_its_schedule_from_the_start_and_the_step_count_goes_on():
    X, y = blob_digits(64)
    seen = []
    net, opt = mlp(), SGD(0.1)
    history = None
    for _ in range(2):
        history = training.train(net, X / 255, y, loss_fn=SoftmaxCrossEntropy(), optimizer=opt,
                                 schedule=lambda step: seen.append(step) or 0.1, epochs=1, batch_size=32,
                                 rng=np.random.default_rng(0), history=history,
                                 first_step=history.steps if history else 0)
    assert seen == [0, 1, 0, 1] and history.steps == 4 and len(history.loss) == 2
