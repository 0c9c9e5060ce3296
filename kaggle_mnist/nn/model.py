"""Sequential: a list of layers, run forward in order and backward in reverse.

Parameters, gradients and buffers are exposed as dicts keyed
``"<layer index>.<name>"`` (``"0.W"``, ``"0.b"``, ...): the one contract between the
model and anything that saves or checks it.

Behind those names, every parameter lives in one flat vector and every gradient in
another; each layer's arrays are views into them, weights first. An optimizer step is
a dozen elementwise passes, and over the two pieces of one vector
(:meth:`Sequential.flat_params`) that is a dozen NumPy calls, not a dozen per array:
for the 784-256-128-10 network, a third less time per step.
"""

import copy

import numpy as np

from kaggle_mnist.nn.losses import softmax
from kaggle_mnist.nn.parallel import SERIAL


class Sequential:
    """Layers in order. ``split_batch=True`` asks the training loop to train it data
    parallel: each batch in two halves, one per thread (see ``nn/parallel.py``)."""

    def __init__(self, layers, split_batch=False):
        self.layers = list(layers)
        self.split_batch = split_batch
        # Nobody needs the gradient with respect to the input images: the first layer
        # with parameters skips it (a third of the backward pass for an MLP, a col2im
        # for a CNN), and backward stops there.
        self.first_trained = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        if self.layers:
            self.layers[self.first_trained].need_dx = False
        self._flatten()

    def _flatten(self):
        """Copy every parameter and gradient into two flat vectors, weights (arrays of
        two or more dimensions, the ones weight decay applies to) first, and make the
        layers' arrays views into them."""
        arrays = [(layer, name) for layer in self.layers for name in layer.params]
        arrays.sort(key=lambda a: a[0].params[a[1]].ndim < 2)  # stable: weights, then the rest
        dtypes = {layer.params[name].dtype for layer, name in arrays}
        if len(dtypes) > 1:
            raise ValueError(f"all parameters must have one dtype, got {sorted(map(str, dtypes))}")
        dtype = dtypes.pop() if dtypes else np.float32
        size = sum(layer.params[name].size for layer, name in arrays)
        self._params, self._grads = np.empty(size, dtype), np.zeros(size, dtype)
        self.n_weights, start = 0, 0
        self._where = {}  # id(layer), name -> (start, stop) in the flat vectors
        for layer, name in arrays:
            shape = layer.params[name].shape
            stop = start + layer.params[name].size
            self._where[id(layer), name] = start, stop
            for store, flat in ((layer.params, self._params), (layer.grads, self._grads)):
                view = flat[start:stop].reshape(shape)
                view[...] = store[name]
                store[name] = view
            if len(shape) >= 2:
                self.n_weights = stop
            start = stop

    def replica(self, rng=None):
        """A twin for data-parallel training: the same parameter arrays, but its own
        gradient vector (same layout) and its own layer objects, so that each thread's
        forward and backward pass keep their intermediate arrays apart. Its Dropout
        layers draw from ``rng``. Layers with running statistics (BatchNorm) refuse:
        two halves would each update them."""
        twin = Sequential.__new__(Sequential)
        twin.__dict__.update(self.__dict__)
        twin.layers = [copy.copy(layer) for layer in self.layers]
        twin._grads, twin._where = np.zeros_like(self._grads), {}
        for original, layer in zip(self.layers, twin.layers):
            if layer.buffers:
                raise ValueError(f"{layer!r} keeps running statistics and cannot be trained on split batches")
            layer.grads = {}
            for name, g in original.grads.items():
                start, stop = twin._where[id(layer), name] = self._where[id(original), name]
                layer.grads[name] = twin._grads[start:stop].reshape(g.shape)
            if rng is not None and hasattr(layer, "rng"):
                layer.rng = rng
        return twin

    def __setstate__(self, state):
        # pickle and deepcopy copy each view on its own: make them views again
        self.__dict__.update(state)
        self._flatten()

    def forward(self, x, training=False):
        """x: (N, ...) -> logits (N, K)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout, then=None, workers=None):
        """dout: (N, K), the loss gradient at the logits; fills every layer's grads.

        ``then``: optional tasks, one per thread of ``workers``, to run once every
        gradient is known (the optimizer's updates). When the first layer computes in
        as many blocks, each task runs right after its block, on the same thread.
        """
        for layer in reversed(self.layers[self.first_trained + 1:]):
            dout = layer.backward(dout)
        first = self.layers[self.first_trained]
        if then and len(getattr(first, "row_blocks", ())) == len(then):
            return first.backward(dout, then=then)
        dout = first.backward(dout)
        if then:
            (workers or SERIAL).run(then)
        return dout

    def _named(self, attr):
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in getattr(layer, attr).items()}

    def params(self):
        """{name: array}, the live arrays (views into the flat vector)."""
        return self._named("params")

    def grads(self):
        """{name: array} with the same keys as :meth:`params`."""
        return self._named("grads")

    def flat_params(self):
        """{"weights": (n_weights,), "others": (n - n_weights,)}: all parameters as two
        views of one vector, what the training loop hands to the optimizer (weight decay
        applies to "weights" only: biases and BatchNorm's scale and shift are "others")."""
        return {"weights": self._params[:self.n_weights], "others": self._params[self.n_weights:]}

    def flat_grads(self):
        """The gradients, split as :meth:`flat_params`."""
        return {"weights": self._grads[:self.n_weights], "others": self._grads[self.n_weights:]}

    def pieces(self):
        """How the flat vectors are shared out among threads: one list per thread of
        (name, start, stop). Names start with "weights" (decayed) or are "others".

        - Layers that compute in row blocks: thread ``i`` computes block ``i`` of every
          such layer, so it also updates those rows of W; everything else goes to the
          last thread (see :mod:`kaggle_mnist.nn.parallel`).
        - ``split_batch``: the weights cut in two halves, the others with the second.
        - Otherwise one thread: [[("weights", ...), ("others", ...)]].
        """
        size, n_weights = len(self._params), self.n_weights
        owned = []  # (start, stop, thread): row block `thread` of a layer's W, in the flat vectors
        for layer in self.layers:
            if len(getattr(layer, "row_blocks", ())) > 1:
                start, _ = self._where[id(layer), "W"]
                width = layer.params["W"].shape[1]  # W is stored row after row
                owned += [(start + r.start * width, start + r.stop * width, i) for i, r in enumerate(layer.row_blocks)]
        if not owned and self.split_batch:
            owned = [(0, n_weights // 2, 0), (n_weights // 2, n_weights, 1)]
        if not owned:
            return [[("weights", 0, n_weights), ("others", n_weights, size)]]
        last = max(thread for _, _, thread in owned)
        cuts, done = [], 0  # weights that no block owns go to the last thread
        for start, stop, thread in sorted(owned):
            if done < start:
                cuts.append((done, start, last))
            cuts.append((start, stop, thread))
            done = stop
        if done < n_weights:
            cuts.append((done, n_weights, last))
        pieces = [[] for _ in range(last + 1)]
        for start, stop, thread in cuts:
            pieces[thread].append((f"weights.{start}", start, stop))
        pieces[last].append(("others", n_weights, size))  # no weight decay
        return pieces

    def shards(self):
        """[(params, grads), ...]: :meth:`pieces` as the dicts of views an optimizer updates."""
        return [({name: self._params[a:b] for name, a, b in mine}, {name: self._grads[a:b] for name, a, b in mine})
                for mine in self.pieces()]

    def set_workers(self, workers):
        """Let the layers that compute in blocks use these threads (None: the caller only)."""
        for layer in self.layers:
            if hasattr(layer, "workers"):
                layer.workers = workers

    def state_dict(self):
        """Copies of every parameter and buffer: what a saved model holds."""
        return {k: v.copy() for k, v in {**self.params(), **self._named("buffers")}.items()}

    def load_state_dict(self, state):
        """Copy arrays from ``state`` into the model; keys and shapes must match exactly."""
        own = {**self.params(), **self._named("buffers")}
        missing, extra = own.keys() - state.keys(), state.keys() - own.keys()
        if missing or extra:
            raise ValueError(f"state does not fit this model: missing {sorted(missing)}, unexpected {sorted(extra)}")
        for name, array in own.items():
            if state[name].shape != array.shape:
                raise ValueError(f"{name}: shape {state[name].shape} does not fit {array.shape}")
            array[...] = state[name]

    def n_params(self):
        return sum(p.size for p in self.params().values())

    def predict_proba(self, x, batch_size=2048):
        """Class probabilities in inference mode, a batch at a time: (N, ...) -> (N, K)."""
        return np.concatenate([softmax(self.forward(x[i:i + batch_size])) for i in range(0, len(x), batch_size)])

    def __repr__(self):
        lines = "\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{lines}\n)  # {self.n_params():,} parameters"
