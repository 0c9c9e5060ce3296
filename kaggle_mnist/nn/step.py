"""One training step: forward, loss, backward, the optimizer's update.

The loop around it (batches, schedules, early stopping) is ``kaggle_mnist/training.py``;
this is the step itself, the four lines at the heart of every training loop. It is
also the reference the engine (``kaggle_mnist/engine/``) is tested against.
"""

import math


class PlainStep:
    """``step(xb, yb) -> (loss, logits)``: forward, loss, backward, optimizer update; a
    loss that is not finite skips the update (the training loop then stops and says
    where). ``predict(x) -> logits`` in inference mode. The engine's steps offer the
    same two methods.
    """

    def __init__(self, model, loss_fn=None, optimizer=None):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer

    def step(self, xb, yb):
        logits = self.model.forward(xb, training=True)  # (N, K)
        loss = self.loss_fn.forward(logits, yb)
        if math.isfinite(loss):
            self.model.backward(self.loss_fn.backward())
            self.optimizer.step(self.model.params(), self.model.grads())
        return loss, logits

    def predict(self, x):
        return self.model.forward(x)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass
