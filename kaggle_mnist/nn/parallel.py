"""Two cores, each owning half of every large weight matrix, or half of each batch.

The obvious way to use two cores is to let BLAS split every matrix product over both
of them. For a 784-256-128-10 network at 128 rows per batch that is a poor bargain,
and the reason is the cache, not the arithmetic. BLAS hands each core a different
part of ``W`` in every product. The optimizer then rewrites all of ``W`` from one
core, and every cache line the other core read must first be taken back from it. On
these 2-core machines that made the optimizer's last pass over the first layer's
weights (``p -= update``) take 100 us instead of 14: a tenth of the whole step.

The cure is ownership. Each large Dense layer of an MLP (``Dense(blocks=2)``) computes
its product in two blocks of rows of ``W`` (``x @ W = x[:, :k] @ W[:k] + x[:, k:] @
W[k:]``). Thread ``i`` always computes block ``i``: its part of the product in the
forward pass, the same rows of the weight gradient in the backward pass, and the
optimizer's update of those rows (contiguous stretches of the flat parameter vector:
``Sequential.shards``). Those weights stay with their core. BLAS runs single-threaded
meanwhile; the small rest of the network runs on the calling thread.

Convolutional networks split the work the other way: by samples. Their products are
large enough for BLAS, but half of their time goes to single-threaded NumPy work
(patch copies, pooling, the activations), which BLAS's threads do not share. So
``BatchSplit`` sends each half of the batch through its own replica of the network,
one per thread (data parallelism). The replicas share the parameters and keep their
own gradients; each thread then adds its half of the two gradient vectors and updates
those parameters. For the LeNet-like network that made a step 1.3 to 1.5 times faster.

``Workers`` is that pair of threads (or just the calling thread: ``Workers(1)`` runs
everything in order, with the same numbers, because the blocks do not depend on how
many threads compute them). Choosing how many threads to use, and telling BLAS to
stay on one, is the training loop's job (``training.threads_for``).
"""

import copy
import math
import queue
import threading
from functools import partial

import numpy as np


class Workers:
    """The calling thread plus ``n - 1`` helper threads, kept for a training run.

    ``run(tasks)`` runs ``tasks[i]`` on thread ``i % n`` (thread 0 is the caller),
    waits for all of them and returns their results in order. The same index always
    lands on the same thread: that is what lets a thread keep its data in its cache.
    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, n=1):
        if n < 1:
            raise ValueError(f"Workers needs at least 1 thread, got {n}")
        self.n = n
        self._done = queue.SimpleQueue()
        self._inboxes = [queue.SimpleQueue() for _ in range(n - 1)]
        self._threads = [threading.Thread(target=self._serve, args=(i + 1, inbox), daemon=True,
                                          name=f"kaggle-mnist-worker-{i + 1}")
                         for i, inbox in enumerate(self._inboxes)]
        for thread in self._threads:
            thread.start()

    def _serve(self, index, inbox):
        while (tasks := inbox.get()) is not None:
            try:
                self._done.put((index, [task() for task in tasks], None))
            except BaseException as error:  # handed to the caller, raised there
                self._done.put((index, None, error))

    def run(self, tasks):
        if self.n == 1 or len(tasks) == 1:
            return [task() for task in tasks]
        busy = [i for i in range(1, self.n) if tasks[i::self.n]]
        for i in busy:
            self._inboxes[i - 1].put(tasks[i::self.n])
        try:
            mine = [task() for task in tasks[::self.n]]
        finally:
            theirs = self._wait(len(busy))
        results = [None] * len(tasks)
        results[::self.n] = mine
        for i, their in theirs.items():
            results[i::self.n] = their
        return results

    def _wait(self, count):
        """Collect ``count`` helpers' results. Even on Ctrl-C it waits for them all
        (they are writing into the model's arrays) before raising anything."""
        results, error, interrupted = {}, None, False
        while len(results) < count:
            try:
                index, result, failure = self._done.get()
            except KeyboardInterrupt:
                interrupted = True
                continue
            results[index] = result
            error = error or failure
        if interrupted:
            raise KeyboardInterrupt
        if error is not None:
            raise error
        return results

    def close(self):
        for inbox in self._inboxes:
            inbox.put(None)
        for thread in self._threads:
            thread.join()
        self._inboxes, self._threads, self.n = [], [], 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"Workers({self.n})"


SERIAL = Workers(1)  # what every layer uses outside training: the calling thread only


class BatchSplit:
    """Data-parallel training of ``model`` over the threads of ``workers``.

    Every batch is cut into two halves, always two, also on one thread, so that the
    numbers do not depend on the thread count. Half ``i`` goes through replica ``i``
    (``Sequential.replica``; its dropout draws from the ``i``-th child of ``rng``).
    """

    def __init__(self, model, loss_fn, workers, rng=None):
        self.model, self.workers = model, workers
        rngs = rng.spawn(2) if rng is not None else [None, None]
        self.replicas = [model.replica(r) for r in rngs]
        self.losses = [copy.copy(loss_fn) for _ in range(2)]

    def _halves(self, n):
        cut = (n + 1) // 2
        return [slice(0, cut), slice(cut, n)] if n > 1 else [slice(0, n)]

    def forward(self, x):
        """Inference, half the rows on each thread: x (N, ...) -> logits (N, K)."""
        tasks = [partial(replica.forward, x[rows]) for replica, rows in zip(self.replicas, self._halves(len(x)))]
        return np.concatenate(self.workers.run(tasks))

    def step(self, xb, yb, optimizer):
        """Forward, loss, backward on each half; then each thread sums its part of the
        two gradients and updates it. Returns (loss, logits) of the whole batch; a
        loss that is not finite skips the update."""
        n = len(xb)

        def half(i, rows):
            logits = self.replicas[i].forward(xb[rows], training=True)
            loss = self.losses[i].forward(logits, yb[rows])
            if math.isfinite(loss):
                dz = self.losses[i].backward()
                dz *= len(logits) / n  # the mean over the whole batch, not over this half
                self.replicas[i].backward(dz)
            return loss * len(logits), logits

        results = self.workers.run([partial(half, i, rows) for i, rows in enumerate(self._halves(n))])
        loss, logits = sum(r[0] for r in results) / n, np.concatenate([r[1] for r in results])
        if math.isfinite(loss):
            optimizer.begin_step()
            self.workers.run([partial(self._update, optimizer, pieces, len(results)) for pieces in self.model.pieces()])
        return loss, logits

    def _update(self, optimizer, pieces, active):
        """Sum the replicas' gradients over these pieces into the model's, then update them."""
        params, grads = {}, {}
        for name, start, stop in pieces:
            g = grads[name] = self.model._grads[start:stop]
            params[name] = self.model._params[start:stop]
            first = self.replicas[0]._grads[start:stop]
            if active == 2:
                np.add(first, self.replicas[1]._grads[start:stop], out=g)
            else:  # a one-row batch: only the first half had rows
                g[...] = first
        optimizer.update(params, grads)
