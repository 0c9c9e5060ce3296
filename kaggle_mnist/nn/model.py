"""Sequential: a list of layers, run forward in order and backward in reverse.

Parameters, gradients and buffers are exposed as dicts keyed
``"<layer index>.<name>"`` (``"0.W"``, ``"0.b"``, ...): the one contract between the
model and anything that trains, saves or checks it. A training step is

    logits = model.forward(x, training=True)      # (N, K)
    loss = loss_fn.forward(logits, y)
    model.backward(loss_fn.backward())             # fills model.grads()
    optimizer.step(model.params(), model.grads())  # updates model.params() in place
"""

import numpy as np

from kaggle_mnist.nn.losses import softmax


class Sequential:
    """Layers in order; the output of each is the input of the next."""

    def __init__(self, layers):
        self.layers = list(layers)
        # Nobody needs the gradient with respect to the input images, so the first
        # layer with parameters skips it (a third of the backward pass for an MLP), and
        # the backward pass stops there.
        self.first_trained = next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        if self.layers:
            self.layers[self.first_trained].need_dx = False

    def forward(self, x, training=False):
        """x: (N, ...) -> logits (N, K)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, dout):
        """dout: (N, K), the loss gradient at the logits; fills every layer's grads."""
        for layer in reversed(self.layers[self.first_trained:]):
            dout = layer.backward(dout)
        return dout

    def _named(self, attr):
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in getattr(layer, attr).items()}

    def params(self):
        """{name: array}: the live parameter arrays, which the optimizer updates in place."""
        return self._named("params")

    def grads(self):
        """{name: array} with the same keys as :meth:`params`."""
        return self._named("grads")

    def buffers(self):
        """{name: array}: state saved with the model but not trained (BatchNorm's statistics)."""
        return self._named("buffers")

    def state_dict(self):
        """Copies of every parameter and buffer: what a saved model holds."""
        return {k: v.copy() for k, v in {**self.params(), **self.buffers()}.items()}

    def load_state_dict(self, state):
        """Copy arrays from ``state`` into the model; keys and shapes must match exactly."""
        own = {**self.params(), **self.buffers()}
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
