"""Two cores, each owning its half of the first layer.

The obvious way to use two cores is to let BLAS split every matrix product over both
of them. For a 784-256-128-10 network at 128 rows per batch that is a poor bargain,
and the reason is the cache, not the arithmetic. BLAS hands each core a different
part of ``W`` in every product. The optimizer then rewrites all of ``W`` from one
core, and every cache line the other core read must first be taken back from it. On
these 2-core machines that made the optimizer's last pass over the first layer's
weights (``p -= update``) take 100 us instead of 14: a tenth of the whole step.

The cure is ownership. The first Dense layer computes its product in two blocks of
rows of ``W`` (``x @ W = x[:, :k] @ W[:k] + x[:, k:] @ W[k:]``). Thread ``i`` always
computes block ``i``: its part of the product in the forward pass, the same rows of
the weight gradient in the backward pass, and the optimizer's update of those rows
(they are one contiguous stretch of the flat parameter vector, see ``model.py``).
Those weights never leave their core. BLAS runs single-threaded meanwhile; the
rest of the network, small, runs on the calling thread.

``Workers`` is that pair of threads (or just the calling thread: ``Workers(1)`` runs
everything in order, with the same numbers, because the blocks do not depend on how
many threads compute them). It imports nothing but the standard library: choosing
how many threads to use, and telling BLAS to stay on one, is the training loop's job.
"""

import queue
import threading


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
