"""Optimizers: update parameters in place, by name, keeping their own state per name.

``step(params, grads)`` takes two dicts with the same keys, ``Sequential.params()``
and ``Sequential.grads()``, and updates each parameter array in place. The learning
rate is an attribute the training loop may change every step (that is all a schedule
does).

Weight decay applies to weights only (arrays with two or more dimensions, or arrays
whose name starts with "weights"), never to biases or BatchNorm's scale and shift,
the common practice.
"""

import math

import numpy as np


def decays(name, p):
    return p.ndim >= 2 or name.startswith("weights")


FLUSH_EVERY = 64
FLUSH_BELOW = 1e-30


def flush_tiny(a):
    """Set entries smaller than 1e-30 in magnitude to exactly zero, in place.

    Why: a momentum buffer whose gradient is zero step after step (the weights of a
    pixel that is almost never lit) decays by ``beta`` each step and, after a few
    hundred steps, becomes a *denormal* float, which x86 processors handle up to a
    hundred times more slowly. NumPy cannot turn on flush-to-zero, so the optimizers
    call this every FLUSH_EVERY steps: at beta = 0.9 it takes 175 steps to fall from
    1e-30 to the denormal range, and 1e-30 is far below anything that moves a weight.
    """
    a[np.abs(a) < FLUSH_BELOW] = 0


class Optimizer:
    """Base class: ``step`` counts the step, then ``update`` changes every parameter.

    Each parameter's update depends only on its own gradient and state, so ``update``
    may also be given the parameters part by part (the engine does: ``kaggle_mnist/engine/``).
    """

    def __init__(self, lr):
        self.lr = float(lr)
        self.state = {}  # parameter name -> dict of arrays
        self.t = 0  # steps taken

    def step(self, params, grads):
        """One update of every parameter in ``params`` (the same keys as ``grads``)."""
        self.t += 1
        self.update(params, grads)

    def update(self, params, grads):
        """Update ``params`` in place as step number ``self.t``."""
        for name, p in params.items():
            state = self.state.setdefault(name, {})
            self.update_one(name, p, grads[name], state)
            if self.t % FLUSH_EVERY == 0:
                for key, a in state.items():
                    if key != "tmp":
                        flush_tiny(a)

    def update_one(self, name, p, g, state):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{k}={v}" for k, v in vars(self).items() if k not in ("state", "t") and k[0] != "_")
        return f"{type(self).__name__}({fields})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Written as PyTorch does it, with ``g`` the gradient plus ``weight_decay * p``:
    ``v = momentum * v + g``; then ``p -= lr * v``, or for Nesterov
    ``p -= lr * (g + momentum * v)``. With momentum 0 it is plain ``p -= lr * g``.
    """

    def __init__(self, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = float(momentum), nesterov, float(weight_decay)

    def update_one(self, name, p, g, state):
        if self.weight_decay and decays(name, p):
            g = g + self.weight_decay * p
        if self.momentum == 0:
            p -= self.lr * g
            return
        v = state.get("v")
        if v is None:
            v = state["v"] = g.copy()
        else:
            v *= self.momentum
            v += g
        p -= self.lr * (g + self.momentum * v) if self.nesterov else self.lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter step sizes from running moments.

    The textbook update, with ``g`` the gradient:

        m = b1 m + (1 - b1) g            v = b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t)           v_hat = v / (1 - b2^t)      (both start at 0)
        p -= lr * m_hat / (sqrt(v_hat) + eps)

    The code keeps ``M = m / (1 - b1)`` and ``V = v / (1 - b2)`` instead (``M = b1 M + g``,
    one pass fewer each) and folds every constant into one step size and one epsilon:
    the same numbers in ten passes over the arrays instead of a dozen. ``weight_decay``
    here is L2: added to the gradient.
    """

    decoupled = False

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.weight_decay = float(weight_decay)

    def scales(self):
        """(step, eps): Adam's constants for step ``t``, folded for the update below.

        p -= lr/(1-b1^t) * (1-b1) M / (sqrt((1-b2) V / (1-b2^t)) + eps)
           = step * M / (sqrt(V) + eps / root),  root = sqrt((1-b2) / (1-b2^t))

        Python floats, not NumPy's: under NumPy 2's promotion rules a float64 scalar
        turns each float32 pass into a float64 loop with casts, 1.5x slower.
        """
        b1, b2 = self.beta1, self.beta2
        root = math.sqrt((1 - b2) / (1 - b2**self.t))
        return self.lr * (1 - b1) / (1 - b1**self.t) / root, self.eps / root

    def update_one(self, name, p, g, state):
        if not state:
            state.update(M=np.zeros_like(p), V=np.zeros_like(p), tmp=np.empty_like(p))
        M, V, tmp = state["M"], state["V"], state["tmp"]
        step, eps = self.scales()
        decay = self.weight_decay if decays(name, p) else 0.0
        if decay and self.decoupled:
            p *= 1 - self.lr * decay
        elif decay:
            g = g + decay * p
        # In place, with one scratch array: no new arrays allocated step after step.
        M *= self.beta1
        M += g  # M = b1 M + g
        V *= self.beta2
        np.multiply(g, g, out=tmp)
        V += tmp  # V = b2 V + g^2
        np.sqrt(V, out=tmp)
        tmp += eps
        np.divide(M, tmp, out=tmp)
        tmp *= step
        p -= tmp  # p -= step * M / (sqrt(V) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Decay shrinks the weights directly, ``p -= lr * weight_decay * p``, instead of
    passing through Adam's per-parameter scaling, where it would be weakened for
    parameters with large gradients.
    """

    decoupled = True

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(lr, beta1, beta2, eps, weight_decay)


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "nesterov": SGD, "adam": Adam, "adamw": AdamW}


def make_optimizer(name, lr, weight_decay=0.0, momentum=0.9):
    """The optimizer called ``name`` ("sgd", "momentum", "nesterov", "adam", "adamw")."""
    if name == "sgd":
        return SGD(lr, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        return SGD(lr, momentum=momentum, nesterov=name == "nesterov", weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    if name == "adamw":
        return AdamW(lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
