"""The from-scratch network library. It imports NumPy and nothing else.

Layers (``layers``, ``conv``), the fused softmax cross-entropy (``losses``),
initialisers (``init``), optimizers (``optimizers``), learning-rate schedules
(``schedules``), the ``Sequential`` model (``model``), the training step that wires a
model, a loss and an optimizer together (``step``) and finite-difference gradient
checks (``gradcheck``). Everything here is the plain maths; what makes training fast
on two cores lives apart, in ``kaggle_mnist/engine/``.
"""

from kaggle_mnist.nn.layers import (
    ACTIVATIONS, BatchNorm, Dense, Dropout, Flatten, Layer, LeakyReLU, ReLU, Reshape, Sigmoid, Tanh,
)
from kaggle_mnist.nn.conv import Conv2D, GlobalAvgPool, MaxPool2D
from kaggle_mnist.nn.losses import SoftmaxCrossEntropy, log_softmax, softmax
from kaggle_mnist.nn.model import Sequential
from kaggle_mnist.nn.optimizers import SGD, Adam, AdamW, make_optimizer
from kaggle_mnist.nn.schedules import make_schedule
from kaggle_mnist.nn.step import PlainStep

__all__ = [
    "ACTIVATIONS", "Adam", "AdamW", "BatchNorm", "Conv2D", "Dense", "GlobalAvgPool", "MaxPool2D", "Dropout", "Flatten", "Layer", "LeakyReLU",
    "PlainStep", "ReLU", "Reshape", "SGD", "Sequential", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "log_softmax",
    "make_optimizer", "make_schedule", "softmax",
]
