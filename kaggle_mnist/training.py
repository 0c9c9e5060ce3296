"""The training loop: mini-batch gradient descent over a Sequential model.

Kept apart from the model and the optimizer: it only wires them together, step by
step, and keeps the record. One epoch:

1. shuffle the row order with the seeded generator, unless the batch is the whole
   set (full-batch descent), and cut it into batches: gather each batch's rows and
   optionally augment them (:func:`epoch_batches`);
2. per batch: set the learning rate from the schedule and take a step: forward,
   loss, backward, the optimizer's update (``nn.PlainStep``, or the engine's);
3. optionally score the validation data; with early stopping, remember the best
   weights (highest validation accuracy, ties broken by the lower loss) and stop after
   ``patience`` epochs without an improvement of more than ``tol``. Accuracy, not loss, decides: with label
   smoothing or a one-cycle schedule the validation cross-entropy bottoms out early
   (seen at epoch 5 of 30) while accuracy goes on rising.

A loss that turns NaN or infinite restores the weights from the start of the epoch
and raises :class:`TrainingDivergedError` naming the epoch and batch. Ctrl-C stops
after the current batch and returns what was trained (``history.interrupted``).

The engine (``kaggle_mnist/engine/``) takes the same steps faster where it can;
``use_engine=False`` runs without it.
"""

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from kaggle_mnist.errors import TrainingDivergedError
from kaggle_mnist.nn.losses import log_softmax
from kaggle_mnist.nn.step import PlainStep
from kaggle_mnist.progress import Progress


@dataclass
class History:
    """What happened, epoch by epoch."""

    loss: list = field(default_factory=list)  # mean training loss over the epoch's batches
    accuracy: list = field(default_factory=list)  # training accuracy over those batches
    val_loss: list = field(default_factory=list)  # on the validation data, if any
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)  # learning rate at the epoch's last step
    seconds: list = field(default_factory=list)  # wall time of each epoch
    best_epoch: int = None  # with early stopping: the epoch whose weights were kept (0-based)
    stopped_early: bool = False
    interrupted: bool = False
    steps: int = 0  # optimizer steps taken in all

    def to_dict(self):
        return asdict(self)


def stepper(model, loss_fn=None, optimizer=None, use_engine=True):
    """The engine for ``model`` when it has a faster way to run it, else the plain step
    (also when the engine has been deleted: a learner may)."""
    try:
        from kaggle_mnist import engine
    except ImportError:
        engine = None
    fast = engine.make(model, loss_fn, optimizer) if use_engine and engine else None
    return fast or PlainStep(model, loss_fn, optimizer)


def epoch_batches(X, y, batch_size, rng, augment=None):
    """Yield one epoch's (xb, yb) batches: rows in a new random order (unless one batch
    is the whole set), gathered a batch at a time (a shuffled copy of all of X each
    epoch cost ten times more per batch), then augmented with ``augment(xb, rng)``."""
    n = len(X)
    order = rng.permutation(n) if batch_size < n else np.arange(n)
    for start in range(0, n, batch_size):
        rows = order[start:start + batch_size]
        xb, yb = (X, y) if batch_size >= n else (X[rows], y[rows])
        yield (xb if augment is None else augment(xb, rng)), yb


def evaluate(model, X, y, batch_size=2048, forward=None):
    """Mean cross-entropy and accuracy of ``model`` on (X, y), in inference mode
    (``forward``: another way to run the model, e.g. the engine's ``predict``)."""
    forward = forward or model.forward
    total_loss, correct = 0.0, 0
    for i in range(0, len(X), batch_size):
        log_p = log_softmax(forward(X[i:i + batch_size]))
        yb = y[i:i + batch_size]
        total_loss -= float(log_p[np.arange(len(yb)), yb].sum())
        correct += int((log_p.argmax(axis=1) == yb).sum())
    return total_loss / len(X), correct / len(X)


def train(model, X, y, *, loss_fn, optimizer, schedule, epochs, batch_size, rng, X_val=None, y_val=None,
          early_stopping=False, patience=10, tol=0.0, augment=None, verbose=0, prefix="", history=None,
          first_step=0, use_engine=True):
    """Train ``model`` in place on X (N, ...) and y (N,) integer labels.

    Args:
        batch_size: rows per step; None for full-batch gradient descent.
        rng: the generator for shuffling and augmentation.
        augment: optional ``augment(xb, rng) -> xb`` applied to each training batch.
        patience, tol: with early stopping, stop after ``patience`` epochs that did not
            raise the validation accuracy by more than ``tol`` (with ``tol`` 0: did
            not raise it, or match it at a lower loss).
        history: a History to extend (for ``partial_fit``), whose step count goes on
            from ``first_step``; the schedule sees the steps of this call, from 0.
        use_engine: take the steps with the engine (False: the plain step, always).

    Returns:
        The History; the model holds the best weights if ``early_stopping``.
    """
    history = history or History()
    bs = len(X) if batch_size is None else min(batch_size, len(X))
    progress = Progress(epochs, math.ceil(len(X) / bs), verbose, prefix)
    best, best_state, waited = (-math.inf, -math.inf), None, 0  # (val accuracy, -val loss)
    history.steps = first_step
    with stepper(model, loss_fn, optimizer, use_engine) as runner:
        try:
            for epoch in range(epochs):
                train_epoch(runner, epoch_batches(X, y, bs, rng, augment), optimizer, schedule, history, epoch,
                            progress, first_step)
                if X_val is not None:
                    val_loss, val_acc = evaluate(model, X_val, y_val, forward=runner.predict)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_acc)
                progress.epoch_done(epoch, {"loss": history.loss[-1], "accuracy": history.accuracy[-1],
                                            "val_accuracy": history.val_accuracy[-1] if X_val is not None else None})
                if hasattr(schedule, "end_epoch"):  # a schedule that listens (nn/schedules.py: Adaptive)
                    schedule.end_epoch(history)
                if early_stopping and X_val is not None:
                    score = (history.val_accuracy[-1], -history.val_loss[-1])
                    waited = 0 if score[0] > best[0] + tol or (score > best and tol == 0) else waited + 1
                    if score > best:
                        best, best_state = score, model.state_dict()
                        history.best_epoch = len(history.loss) - 1
                    if waited >= patience:
                        history.stopped_early = True
                        break
        except KeyboardInterrupt:
            history.interrupted = True
        finally:
            progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def train_epoch(runner, batches, optimizer, schedule, history, epoch, progress, first_step=0):
    """One pass over ``batches``; appends the epoch's loss, accuracy, rate and time."""
    start = time.perf_counter()
    last_good = runner.model.state_dict()
    loss_sum, correct, n = 0.0, 0, 0
    for b, (xb, yb) in enumerate(batches):
        optimizer.lr = float(schedule(history.steps - first_step))
        loss, logits = runner.step(xb, yb)
        if not math.isfinite(loss):
            runner.model.load_state_dict(last_good)
            raise TrainingDivergedError(
                f"the training loss became {loss} at epoch {epoch + 1}, batch {b + 1} "
                f"(try a smaller learning rate); kept the weights from the start of epoch {epoch + 1}"
            )
        history.steps += 1
        loss_sum += loss * len(yb)
        correct += int((logits.argmax(axis=1) == yb).sum())
        n += len(yb)
        progress.batch_done(epoch, loss)
    history.loss.append(loss_sum / n)
    history.accuracy.append(correct / n)
    history.lr.append(float(optimizer.lr))
    history.seconds.append(time.perf_counter() - start)
