"""The training loop: mini-batch gradient descent over a Sequential model.

Kept apart from the model and the optimizer: it only wires them together, step by
step, and keeps the record. One epoch:

1. shuffle the row order with the seeded generator, unless the batch is the whole
   set (full-batch descent);
2. per batch: gather its rows (copying 128 rows costs a few microseconds; a shuffled
   copy of the whole set each epoch cost ten times more per batch), optionally
   augment, set the learning rate from the schedule, forward, loss, backward, and
   the optimizer's update (on two threads for an MLP: see ``nn/parallel.py``);
3. optionally score the validation data; with early stopping, remember the best
   weights (highest validation accuracy, ties broken by the lower loss) and stop after
   ``patience`` epochs without improvement. Accuracy, not loss, decides: with label
   smoothing or a one-cycle schedule the validation cross-entropy bottoms out early
   (seen at epoch 5 of 30) while accuracy goes on rising.

A loss that turns NaN or infinite restores the weights from the start of the epoch
and raises :class:`TrainingDivergedError` naming the epoch and batch. Ctrl-C stops
after the current batch and returns what was trained (``history.interrupted``).
"""

import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial

import numpy as np

from kaggle_mnist.errors import TrainingDivergedError
from kaggle_mnist.nn.losses import log_softmax
from kaggle_mnist.nn.parallel import BatchSplit, Workers
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


def evaluate(model, X, y, batch_size=2048, forward=None):
    """Mean cross-entropy and accuracy of ``model`` on (X, y), in inference mode
    (``forward``: another way to run the model, e.g. ``BatchSplit.forward``)."""
    forward = forward or model.forward
    total_loss, correct = 0.0, 0
    for i in range(0, len(X), batch_size):
        log_p = log_softmax(forward(X[i:i + batch_size]))
        yb = y[i:i + batch_size]
        total_loss -= float(log_p[np.arange(len(yb)), yb].sum())
        correct += int((log_p.argmax(axis=1) == yb).sum())
    return total_loss / len(X), correct / len(X)


def dropout_rng(model):
    """The generator the model's Dropout layers draw from, or None."""
    return next((layer.rng for layer in model.layers if getattr(layer, "rng", None) is not None), None)


@contextmanager
def threads_for(model):
    """Workers for a model with layers that compute in row blocks (an MLP's large
    Dense layers; see ``architectures.BLOCKS_FROM``) or trained on split batches (the
    LeNet-like CNN).

    Two threads where BLAS may use two cores (it may not in a worker of a parallel
    cross-validation, which sets BLAS to one thread per fold), with BLAS itself kept on
    one thread meanwhile: the threads own the blocks, not BLAS (:mod:`nn.parallel`
    says why). Other models get the calling thread and BLAS as it is.
    """
    if len(model.pieces()) < 2:
        yield Workers(1)
        return
    from threadpoolctl import threadpool_info, threadpool_limits

    cores = min((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1)
    with threadpool_limits(1, user_api="blas"), Workers(min(cores, 2)) as workers:
        model.set_workers(workers)
        try:
            yield workers
        finally:
            model.set_workers(None)


def train_step(model, xb, yb, loss_fn, optimizer, workers, shards, split=None):
    """One step on a batch: forward, loss, backward, update. Returns (loss, logits).

    Each thread of ``workers`` updates its part of the parameters (``shards``, from
    ``model.shards()``), right after its share of the backward pass; with a
    :class:`BatchSplit`, each thread takes half the batch instead. A loss that is not
    finite skips the update.
    """
    if split is not None:
        return split.step(xb, yb, optimizer)
    logits = model.forward(xb, training=True)
    loss = loss_fn.forward(logits, yb)
    if math.isfinite(loss):
        optimizer.begin_step()
        updates = [partial(optimizer.update, params, grads) for params, grads in shards]
        model.backward(loss_fn.backward(), then=updates, workers=workers)
    return loss, logits


def train(model, X, y, *, loss_fn, optimizer, schedule, epochs, batch_size, rng, X_val=None, y_val=None,
          early_stopping=False, patience=10, augment=None, verbose=0, prefix="", history=None, first_step=0):
    """Train ``model`` in place on X (N, ...) and y (N,) integer labels.

    Args:
        batch_size: rows per step; None for full-batch gradient descent.
        rng: the generator for shuffling and augmentation.
        augment: optional ``augment(xb, rng) -> xb`` applied to each training batch.
        history: a History to extend (for ``partial_fit``); ``first_step`` numbers
            the steps for the schedule across calls.

    Returns:
        The History; the model holds the best weights if ``early_stopping``.
    """
    history = history or History()
    n = len(X)
    bs = n if batch_size is None else min(batch_size, n)
    n_batches = math.ceil(n / bs)
    progress = Progress(epochs, n_batches, verbose, prefix)
    shards = model.shards()  # what each thread updates
    step = first_step
    best, best_state, waited = (-math.inf, -math.inf), None, 0  # (val accuracy, -val loss)
    with threads_for(model) as workers:
        split = BatchSplit(model, loss_fn, workers, dropout_rng(model)) if model.split_batch else None
        try:
            for epoch in range(epochs):
                start = time.perf_counter()
                last_good = model.state_dict()
                order = rng.permutation(n) if bs < n else None
                loss_sum, correct = 0.0, 0
                for b in range(n_batches):
                    if order is None:
                        xb, yb = X, y
                    else:
                        rows = order[b * bs:(b + 1) * bs]
                        xb, yb = X[rows], y[rows]
                    if augment is not None:
                        xb = augment(xb, rng)
                    optimizer.lr = float(schedule(step))
                    loss, logits = train_step(model, xb, yb, loss_fn, optimizer, workers, shards, split)
                    if not math.isfinite(loss):
                        model.load_state_dict(last_good)
                        raise TrainingDivergedError(
                            f"the training loss became {loss} at epoch {epoch + 1}, batch {b + 1} "
                            f"(try a smaller learning rate); kept the weights from the start of epoch {epoch + 1}"
                        )
                    step += 1
                    loss_sum += loss * len(yb)
                    correct += int((logits.argmax(axis=1) == yb).sum())
                    progress.batch_done(epoch, loss)

                history.loss.append(loss_sum / n)
                history.accuracy.append(correct / n)
                history.lr.append(float(optimizer.lr))
                if X_val is not None:
                    val_loss, val_acc = evaluate(model, X_val, y_val, forward=split and split.forward)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_acc)
                history.seconds.append(time.perf_counter() - start)
                progress.epoch_done(epoch, {"loss": history.loss[-1], "accuracy": history.accuracy[-1],
                                            "val_accuracy": history.val_accuracy[-1] if X_val is not None else None})

                if early_stopping and X_val is not None:
                    score = (history.val_accuracy[-1], -history.val_loss[-1])
                    if score > best:
                        best, best_state, waited = score, model.state_dict(), 0
                        history.best_epoch = len(history.loss) - 1
                    else:
                        waited += 1
                        if waited >= patience:
                            history.stopped_early = True
                            break
        except KeyboardInterrupt:
            history.interrupted = True
        finally:
            progress.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    history.steps = step
    return history
