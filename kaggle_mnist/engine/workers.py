"""The engine's threads: a caller plus helpers that keep running for a training run.

A training step hands each thread its share of the work and waits for all of them; a
pool that started threads per step would spend more time starting them than a small
step takes. Signals are the main thread's alone (``interrupts``), and a step's hand-off
cannot be cut by one.
"""

import os
import queue
import threading

from kaggle_mnist import interrupts


class Workers:
    """The calling thread plus ``n - 1`` helper threads, kept for a training run.

    ``run(tasks)`` runs ``tasks[i]`` on thread ``i % n`` (thread 0 is the caller),
    waits for all of them and returns their results in order; a task's exception is
    raised in the caller once every thread is done (the first that is not a
    ``threading.BrokenBarrierError``: that one only says another task failed). The same index always lands on the
    same thread: that is what lets a thread keep its data in its cache.
    """

    def __init__(self, n=1):
        if n < 1:
            raise ValueError(f"Workers needs at least 1 thread, got {n}")
        self.n = n
        self._done = queue.SimpleQueue()
        self._inboxes = [queue.SimpleQueue() for _ in range(n - 1)]
        self._threads = [threading.Thread(target=self._serve, args=(i + 1, inbox), daemon=True,
                                          name=f"kaggle-mnist-engine-{i + 1}")
                         for i, inbox in enumerate(self._inboxes)]
        for thread in self._threads:
            thread.start()

    def _serve(self, index, inbox):
        interrupts.block_in_this_thread()
        while (tasks := inbox.get()) is not None:
            try:
                self._done.put((index, [task() for task in tasks], None))
            except BaseException as error:  # handed to the caller, raised there
                self._done.put((index, None, error))

    def run(self, tasks):
        if self.n == 1 or len(tasks) == 1:
            return [task() for task in tasks]
        with interrupts.held():  # a Ctrl-C waits for the hand-off, then arrives
            busy = [i for i in range(1, self.n) if tasks[i::self.n]]
            for i in busy:
                self._inboxes[i - 1].put(tasks[i::self.n])
            error = None
            try:
                mine = [task() for task in tasks[::self.n]]
            except BaseException as e:  # still collect the helpers before raising
                error, mine = e, None
            results = [None] * len(tasks)
            results[::self.n] = mine or [None] * len(tasks[::self.n])
            for _ in busy:
                index, theirs, failure = self._done.get()
                if error is None or isinstance(error, threading.BrokenBarrierError):
                    error = failure or error
                if theirs is not None:
                    results[index::self.n] = theirs
        if error is not None:
            raise error
        return results

    def close(self):
        for inbox in self._inboxes:
            inbox.put(None)
        for thread in self._threads:
            thread.join()
        self._inboxes, self._threads, self.n = [], [], 1

    def __repr__(self):
        return f"Workers({self.n})"


def blas_threads():
    """How many threads BLAS may use here (1 in a worker of a parallel cross-validation)."""
    from threadpoolctl import threadpool_info

    return min((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"),
               default=os.cpu_count() or 1)
