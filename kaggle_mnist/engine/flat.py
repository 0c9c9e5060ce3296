"""Every parameter of a network in one vector, every gradient in another.

With them the engine's threads update the network in a few large NumPy calls, each on
its own contiguous part, instead of one small call per array.
"""

import numpy as np


class Flat:
    """Every parameter of ``model`` in one vector and every gradient in another.

    The layers' ``params`` and ``grads`` arrays are replaced by views of the same
    values, weights (arrays of two or more dimensions, the ones weight decay applies
    to) first. ``where[id(layer), name]`` is the (start, stop) of an array.
    """

    def __init__(self, model):
        arrays = [(layer, name) for layer in model.layers for name in layer.params]
        arrays.sort(key=lambda a: a[0].params[a[1]].ndim < 2)  # stable: weights, then the rest
        dtypes = {layer.params[name].dtype for layer, name in arrays}
        if len(dtypes) > 1:
            raise ValueError(f"all parameters must have one dtype, got {sorted(map(str, dtypes))}")
        dtype = dtypes.pop() if dtypes else np.float32
        size = sum(layer.params[name].size for layer, name in arrays)
        self.params, self.grads = np.empty(size, dtype), np.zeros(size, dtype)
        self.n_weights, start, self.where = 0, 0, {}
        for layer, name in arrays:
            shape = layer.params[name].shape
            stop = start + layer.params[name].size
            self.where[id(layer), name] = start, stop
            for store, flat in ((layer.params, self.params), (layer.grads, self.grads)):
                view = flat[start:stop].reshape(shape)
                view[...] = store[name]
                store[name] = view
            if len(shape) >= 2:
                self.n_weights = stop
            start = stop

    def halves(self):
        """The vectors cut in two for two threads: per thread, a list of (name, start, stop).

        Thread 0 takes the first half of the weights; thread 1 the second half and the
        rest (biases, BatchNorm's scale and shift). Names starting with "weights" are
        the ones weight decay applies to.
        """
        half, size = self.n_weights // 2, len(self.params)
        return [[("weights.0", 0, half)], [("weights.1", half, self.n_weights), ("others", self.n_weights, size)]]

    def views(self, pieces, grads=None):
        """({name: params view}, {name: grads view}) of one thread's pieces."""
        grads = self.grads if grads is None else grads
        return ({name: self.params[a:b] for name, a, b in pieces}, {name: grads[a:b] for name, a, b in pieces})
