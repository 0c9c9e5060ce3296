"""The engine: the plain training step, run faster on two cores. Nothing else needs it.

``nn.PlainStep`` is the textbook step: forward, loss, backward, optimizer. This
package offers the same two methods, ``step(xb, yb) -> (loss, logits)`` and
``predict(x) -> logits``, computed another way, and the tests hold it to the plain
step's numbers (within float rounding) and to the same numbers on one thread or two.
Delete this folder and training still works, only slower: :func:`make` returning None
means "use the plain step".

Here: the strategies and :func:`make`. Beside it: ``workers.py`` (the threads),
``flat.py`` (all parameters in one vector), ``convolutions.py``, ``winograd.py`` and
``normalization.py`` (Conv2D and BatchNorm computed faster, each tested against the
textbook layer), ``twin.py`` (what makes each of those a twin of its textbook layer).

**Convolutional networks split the batch** (:class:`SplitBatch`): each half goes
through its own replica of the network (shared weights, separate gradients) on its own
thread, because half of their time is single-threaded NumPy work (patch copies,
pooling, activations, BatchNorm) that BLAS's threads do not share. One flat vector
holds every parameter and one every gradient (:class:`Flat`), so that each thread then
adds its half of the two replicas' gradients and updates those parameters in a dozen
NumPy calls. The batch is always cut in two, also on one thread, so the numbers do not
depend on the thread count. Each replica's convolutions are
:class:`~kaggle_mnist.engine.convolutions.FastConv2D`: a patch matrix a few images at a
time, or, where it does fewer operations, a product of spectra (the convolution
theorem; :mod:`kaggle_mnist.engine.convolutions`), or for 3x3 kernels Winograd's
minimal filtering (:mod:`kaggle_mnist.engine.winograd`). BatchNorm layers need the whole
batch's mean and variance: the two replicas' layers meet to add up their sums
(:class:`~kaggle_mnist.engine.normalization.SyncBatchNorm`), so a split needs both
threads, and on one thread a BatchNorm network takes :class:`WholeBatch` (the same
numbers within float rounding, not to the last bit).

Measured on a 2-vCPU AVX-512 Xeon, ``kaggle-mnist benchmark --network lenet --repeats 3``
(seconds per epoch; PyTorch 2.13 CPU beside it): the LeNet-like network took 40.2 for
the plain step, 28.1 with the halves alone, 20.9 with chunked patch matrices (PyTorch
13.6), and 14.6 with the second convolution's spectra (PyTorch 14.8 in that run, the
plain step 37.4). The BatchNorm network (``--network cnn``): 111 for the plain step,
90-95 on the whole batch with chunked convolutions (PyTorch 29.4), 48.1 split with
meeting BatchNorm layers (PyTorch 31.8 in that run). A week later the machine ran every
peer slower (a shared host); there, same-run ratios: lenet 1.01x PyTorch before and 0.94x
after the spectral layer's frame shrank to the input and the zeros before it (13.7 against
14.5 s); the BatchNorm network 63.5 s with chunked 3x3 convolutions, 55.2 with Winograd's
(PyTorch 42.4: 1.30x; one repeat). On a 2-vCPU AMD EPYC (AVX2, OpenBLAS's Haswell
kernel; medians of 3): lenet 29.6 s against PyTorch's 39.0 (0.76x), the BatchNorm network
88.8 against 83.6 (1.06x): the ratios are the machine's as much as the code's.

**Convolutional networks with BatchNorm on one thread** take the plain step on a twin
whose convolutions are :class:`FastConv2D` and whose BatchNorm layers are
:class:`~kaggle_mnist.engine.normalization.FastBatchNorm` (:class:`WholeBatch`).

**MLPs take the plain step**: nothing here beats it on that machine, whose two vCPUs
give 1.3x, not 2x, the throughput of one (two single-threaded products side by side:
288 us against 188 for one). Measured there, 5 epochs of the 784-256-128-10 network:
plain 0.52-0.55 s per epoch (BLAS on two threads); flat vectors alone 0.55-0.57;
the optimizer split over two threads 0.58-0.60 (OpenBLAS's idle threads spin on the
second core); two threads each owning half the rows of every large weight matrix,
computing its part of the products and updating its rows, BLAS on one thread,
0.62-0.66; half batches on two threads 0.66-0.82. The row-block design had been
1.4x faster than BLAS's threads on an AVX2 (Haswell-kernel) machine, where the
optimizer's pass over weights that the other core had read in the product took 100 us
instead of 14; on the AVX-512 machine it is 15-20% slower, so it was dropped.

**Tried and not used** (no gain measured on that machine, so not worth their code):
preparing the next batches on a helper thread while the current one trains (gathering
rows and augmenting them: 2 ms of a 19 ms step of the ``mlp`` preset), and telling
glibc to keep freed memory instead of faulting in fresh pages for each large array
(2.4x faster augmentation in isolation). End to end, ``mlp`` and ``lenet`` presets
trained at the same speed with and without either, within the machine's noise.

**Interruption is safe by construction**: while the threads work on a step, SIGINT and
SIGTERM are held back (``interrupts.held``) and delivered the moment the step is done,
so a Ctrl-C can never fall between a result and its hand-off.
"""

import copy
import math
from functools import partial

import numpy as np

from kaggle_mnist.engine.convolutions import FastConv2D
from kaggle_mnist.engine.flat import Flat
from kaggle_mnist.engine.normalization import FastBatchNorm, Meeting, SyncBatchNorm
from kaggle_mnist.engine.workers import Workers, blas_threads
from kaggle_mnist.nn import BatchNorm, Conv2D, Dropout, PlainStep



class SplitBatch:
    """A convolutional network trained on two half batches, one per thread, each
    through its own replica (see the module docstring). Use as a context manager: it
    starts the threads and keeps BLAS on one thread until it ends."""

    def __init__(self, model, loss_fn, optimizer, threads):
        self.model, self.optimizer, self.threads = model, optimizer, threads
        self.flat = Flat(model)
        # Each replica's Dropout layers draw from their own child of the layer's generator
        # (only in training: inference draws nothing, and spawning changes the parent).
        children = {id(layer): layer.rng.spawn(2) for layer in model.layers
                    if isinstance(layer, Dropout) and optimizer is not None}
        # Each BatchNorm layer's replicas meet to add up their sums (SyncBatchNorm), and
        # then the halves' losses must meet too: both take the backward pass or neither.
        self.meetings = {id(layer): Meeting() for layer in model.layers if isinstance(layer, BatchNorm)}
        self.loss_meeting = Meeting() if self.meetings else None
        self.replicas = [self._replica(i, children) for i in range(2)]
        self.losses = [copy.copy(loss_fn) for _ in range(2)]
        self.pieces = self.flat.halves()
        self.workers = self._blas_limit = None

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._blas_limit = threadpool_limits(1, user_api="blas")
        self.workers = Workers(self.threads)
        return self

    def __exit__(self, *exc):
        self.workers.close()
        self._blas_limit.restore_original_limits()

    @staticmethod
    def applies(model, threads):
        """Convolutional networks; with BatchNorm (channels last) only on two threads,
        where the halves can meet."""
        layers = model.layers
        batchnorm = [layer for layer in layers if layer.buffers]
        return (any(isinstance(layer, Conv2D) for layer in layers)
                and all(type(layer) is BatchNorm and layer.channel_axis in (1, -1) for layer in batchnorm)
                and (threads >= 2 or not batchnorm))

    def _replica(self, i, children):
        """A twin of the model: its own layer objects (so that each thread keeps its own
        intermediate arrays), the same parameter arrays, its own gradient vector (same
        layout), for its Dropout layers the i-th child of their generator, and for its
        BatchNorm layers part i of their meeting (the running statistics stay shared)."""
        grads = np.zeros_like(self.flat.grads)
        twin = copy.copy(self.model)
        twin.layers = [copy.copy(layer) for layer in self.model.layers]
        for layer, original in zip(twin.layers, self.model.layers):
            layer.grads = {}
            for name, g in original.grads.items():
                start, stop = self.flat.where[id(original), name]
                layer.grads[name] = grads[start:stop].reshape(g.shape)
            if id(original) in children:
                layer.rng = children[id(original)][i]
        twin.layers = [FastConv2D.like(layer) if type(layer) is Conv2D
                       else SyncBatchNorm.part_of(layer, i, self.meetings[id(original)]) if type(layer) is BatchNorm
                       else layer for layer, original in zip(twin.layers, self.model.layers)]
        twin.flat_grads = grads
        return twin

    @staticmethod
    def _halves(n):
        cut = (n + 1) // 2
        return [slice(0, cut), slice(cut, n)] if n > 1 else [slice(0, n)]

    def step(self, xb, yb):
        n, halves = len(xb), self._halves(len(xb))
        meetings = [*self.meetings.values(), self.loss_meeting] if self.meetings else []
        for meeting in meetings:
            if meeting.parties != len(halves):
                meeting.expect(len(halves))

        def half(i, rows):
            replica, loss_fn = self.replicas[i], self.losses[i]
            try:
                logits = replica.forward(xb[rows], training=True)
                loss = loss_fn.forward(logits, yb[rows]) * len(logits)
                if math.isfinite(self.loss_meeting.total(i, loss) if self.loss_meeting else loss):
                    dz = loss_fn.backward()
                    dz *= len(logits) / n  # the mean over the whole batch, not over this half
                    replica.backward(dz)
            except BaseException:
                for meeting in meetings:  # the other half may be waiting for this one
                    meeting.abort()
                raise
            return loss, logits

        results = self.workers.run([partial(half, i, rows) for i, rows in enumerate(halves)])
        loss, logits = sum(r[0] for r in results) / n, np.concatenate([r[1] for r in results])
        if math.isfinite(loss):
            self.optimizer.t += 1
            self.workers.run([partial(self._update, pieces, len(results)) for pieces in self.pieces])
        return loss, logits

    def _update(self, pieces, active):
        """Add the replicas' gradients over these pieces into the model's, then update them."""
        params, grads = self.flat.views(pieces)
        for name, start, stop in pieces:
            first = self.replicas[0].flat_grads[start:stop]
            if active == 2:
                np.add(first, self.replicas[1].flat_grads[start:stop], out=grads[name])
            else:  # a one-row batch: only the first half had rows
                grads[name][...] = first
        self.optimizer.update(params, grads)

    def predict(self, x):
        """Inference, half the rows on each thread: x (N, ...) -> logits (N, K)."""
        tasks = [partial(replica.forward, x[rows]) for replica, rows in zip(self.replicas, self._halves(len(x)))]
        return np.concatenate(self.workers.run(tasks))

    def __repr__(self):
        return f"SplitBatch(threads={self.threads})"


class WholeBatch(PlainStep):
    """A convolutional network with BatchNorm: the plain step, on a twin of the model
    whose convolutions are :class:`FastConv2D` and whose BatchNorm layers over image
    channels are :class:`FastBatchNorm` (the same parameter, gradient and statistics
    arrays), BLAS on every core. Not split in halves: each half would update
    the running statistics on its own."""

    chunk = 16  # larger than SplitBatch's: each product is shared by BLAS's threads

    def __init__(self, model, loss_fn=None, optimizer=None, threads=None):
        twin = copy.copy(model)
        twin.layers = [self._fast(layer) for layer in model.layers]
        super().__init__(twin, loss_fn, optimizer)

    def _fast(self, layer):
        if type(layer) is Conv2D:
            fast = FastConv2D.like(layer)
            fast.chunk = self.chunk
            return fast
        if type(layer) is BatchNorm and layer.channel_axis == -1:
            return FastBatchNorm.like(layer)
        return layer

    @staticmethod
    def applies(model, threads):
        return any(isinstance(layer, Conv2D) for layer in model.layers)

    def __repr__(self):
        return "WholeBatch()"


STRATEGIES = [SplitBatch, WholeBatch]


def make(model, loss_fn=None, optimizer=None, threads=None):
    """The engine for ``model``, or None when the plain step is as fast.

    ``threads``: 2 where BLAS may use two cores or more, else 1 (same numbers).
    """
    for strategy in STRATEGIES:
        threads = threads or min(blas_threads(), 2)
        if strategy.applies(model, threads):
            return strategy(model, loss_fn, optimizer, threads)
    return None
