"""Finite-difference gradient checks: is a backward pass right?

Compare an analytic gradient with the centred difference
``(f(x + h) - f(x - h)) / 2h``, whose error shrinks like ``h**2``. Run in float64: in
float32 the rounding of ``f`` swamps the difference. The score is the relative error
``|a - n| / max(|a| + |n|, tiny)``; below 1e-6 means the gradient is right.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """d f / d x by centred differences, one element at a time.

    Args:
        f: a function of no arguments returning a float; it reads ``x``.
        x: the array to perturb, in place (it is restored).
    Returns:
        An array like ``x``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a - b| / max(|a| + |b|) over the arrays: 0 when equal, ~1 when unrelated."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12))


def check_model(model, loss_fn, x, y):
    """Relative errors of every parameter gradient of a whole ``model`` under
    ``loss_fn`` (its backward pass after ``loss_fn``'s) against finite differences
    of the loss on (x, y) in training mode. Returns {parameter name: err}."""
    def f():
        return loss_fn.forward(model.forward(x, training=True), y)

    f()
    model.backward(loss_fn.backward())
    analytic = {k: g.copy() for k, g in model.grads().items()}
    return {name: relative_error(analytic[name], numerical_gradient(f, p)) for name, p in model.params().items()}


def check_layer(layer, x, rng, training=True):
    """Relative errors of a layer's dx and parameter gradients against finite differences.

    The scalar tested is ``sum(forward(x) * r)`` for a fixed random ``r``, whose
    gradient at the output is ``r``. Returns {"x": err, name: err, ...}.
    """
    r = rng.standard_normal(layer.forward(x, training).shape)

    def f():
        if hasattr(layer, "rng"):  # redraw the same dropout mask every time
            layer.rng = np.random.default_rng(0)
        return float(np.sum(layer.forward(x, training) * r))

    f()
    dx = layer.backward(r)
    errors = {"x": relative_error(dx, numerical_gradient(f, x))}
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for name, p in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(f, p))
    return errors
