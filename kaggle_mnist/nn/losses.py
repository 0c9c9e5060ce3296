"""Softmax and the fused softmax cross-entropy loss.

The network's last layer outputs logits ``z`` (N, K); the loss turns them into
probabilities with softmax and scores the true classes by cross-entropy. Computing the
two together is both stable and simple: the gradient of the mean loss with respect to
the logits is just ``(p - target) / N``. So there is no separate Softmax layer and no
special case for it.
"""

import numpy as np


def log_softmax(z):
    """log softmax along the last axis, stable for any logits: z (N, K) -> (N, K).

    Subtracting the row maximum first changes nothing mathematically and keeps
    ``exp`` from overflowing (a logit of 1e4 would overflow on its own).
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z):
    """Probabilities along the last axis: z (N, K) -> (N, K), rows sum to 1."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of softmax(logits) against integer labels.

    With ``label_smoothing = eps`` the target puts ``1 - eps`` on the true class and
    spreads ``eps`` evenly over all K classes, which discourages over-confident logits.
    """

    def __init__(self, label_smoothing=0.0):
        if not 0 <= label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, logits, y):
        """logits: (N, K); y: (N,) ints in 0..K-1. Returns the mean loss (a float)."""
        n, k = logits.shape
        log_p = log_softmax(logits)
        self.p = np.exp(log_p)
        self.y = y
        eps = self.label_smoothing
        true_class = log_p[np.arange(n), y]
        if eps == 0:
            return float(-true_class.mean())
        return float(-((1 - eps) * true_class + eps / k * log_p.sum(axis=1)).mean())

    def backward(self):
        """Gradient of the mean loss with respect to the logits: (N, K)."""
        n, k = self.p.shape
        dz = self.p.copy()
        if self.label_smoothing:
            dz -= self.label_smoothing / k
        dz[np.arange(n), self.y] -= 1 - self.label_smoothing
        dz /= n
        return dz

    def __repr__(self):
        return f"SoftmaxCrossEntropy(label_smoothing={self.label_smoothing})"
