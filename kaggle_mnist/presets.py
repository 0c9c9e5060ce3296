"""Named configurations: plain data naming NumpyNetClassifier parameters.

``build(name)`` returns a scikit-learn Pipeline of a PixelScaler (pixels / 255) and the
classifier, so it takes raw 0-255 pixels as read from the CSV files.

- ``seed-2layer``: the classic from-scratch tutorial. 784-10-10, ReLU then softmax,
  weights and biases uniform on [-0.5, 0.5), full-batch gradient descent at learning
  rate 0.1 for 500 iterations. It lands where the tutorials do, 83-88% (84.5% with
  seed 0).
- ``seed-3layer``: the classic three-layer sigmoid network, 784-64-64-10, trained with
  cross-entropy and mini-batch SGD.
- ``mlp``: the strongest MLP that trains in a few minutes on two cores: two wide ReLU
  layers, dropout, AdamW with a one-cycle schedule, label smoothing and random affine
  augmentation.
- ``lenet``: the LeNet-like convolutional network (32c5-pool-64c5-pool-fc256) with
  dropout, random affine augmentation, AdamW and a one-cycle schedule: the Kaggle-style
  model that trains in minutes on two cores.
- ``lenet-tta``: ``lenet`` with test-time augmentation (each model averages its
  probabilities over the image and four one-pixel shifts of it). Meant for
  ``kaggle-mnist cv``, whose fold ensemble then averages the k fold models.
- ``lenet-deskew``: ``lenet-tta`` on deskewed images (each straightened and centred by
  its second moments, in training and prediction): about as accurate alone, but its
  mistakes differ, so it is worth more beside ``lenet-tta`` in an ensemble than another
  ``lenet-tta`` (seed 0 and 1 on the 28,000 held-out rows: one of each, averaged, made
  89 mistakes; two ``lenet-tta`` 97, two ``lenet-deskew`` 95).
- ``lenet-wide``: ``lenet-deskew`` with twice the filters (64c5-pool-128c5) for 18
  epochs: one network in 15 minutes on two cores, about as accurate as ``lenet-deskew``
  in 30 epochs.
- ``cnn``: stacked 3x3 convolutions with BatchNorm (the ``cnn`` architecture), 16 epochs:
  one network in 15 minutes on two cores.
- ``fast``: small and quick, for smoke tests and CI.

The convolutional presets are named after the architecture they build (``lenet``,
``cnn``); the others build the ``mlp`` architecture. :data:`ENSEMBLES` are presets of
``kaggle-mnist ensemble``: several networks of one preset, or of several in turn, averaged.
"""

from kaggle_mnist.errors import KaggleMnistError

PRESETS = {
    "seed-2layer": dict(
        hidden_layer_sizes=(10,), activation="relu", init="uniform", solver="sgd", learning_rate_init=0.1,
        batch_size=None, max_iter=500,
    ),
    "seed-3layer": dict(
        hidden_layer_sizes=(64, 64), activation="sigmoid", init="glorot", solver="sgd", learning_rate_init=0.5,
        batch_size=32, max_iter=20,
    ),
    "mlp": dict(
        hidden_layer_sizes=(1024, 1024), activation="relu", solver="adamw", learning_rate_init=2e-3,
        weight_decay=0.05, dropout=0.3, batch_size=128, max_iter=40, learning_rate="onecycle",
        label_smoothing=0.1, augment="mild",
        # With early stopping (as in cross-validation) keep the best weights, but never stop
        # early: the validation loss rises while the one-cycle rate is high, and stopping
        # there (seen at epoch 23 of 40) loses the annealed end of training.
        n_iter_no_change=40,
    ),
    "lenet": dict(
        architecture="lenet", hidden_layer_sizes=(256,), activation="relu", solver="adamw", learning_rate_init=3e-3,
        weight_decay=0.05, dropout=0.4, batch_size=128, max_iter=30, learning_rate="onecycle",
        label_smoothing=0.1, augment="affine", n_iter_no_change=30,
    ),
    # 16 epochs: one network in 15 minutes on two cores (measured, seed 0: 833 s of training,
    # 25 s of prediction, 99.589%; 14 epochs 99.586%).
    "cnn": dict(
        architecture="cnn", hidden_layer_sizes=(256,), activation="relu", solver="adamw", learning_rate_init=3e-3,
        weight_decay=0.05, dropout=0.4, batch_size=128, max_iter=16, learning_rate="onecycle",
        label_smoothing=0.1, augment="affine", n_iter_no_change=16,
    ),
    "fast": dict(
        hidden_layer_sizes=(128,), activation="relu", solver="adam", learning_rate_init=2e-3, batch_size=128,
        max_iter=5,
    ),
}
PRESETS["lenet-tta"] = {**PRESETS["lenet"], "tta": 4}
PRESETS["lenet-deskew"] = {**PRESETS["lenet-tta"], "deskew": True}
# Twice the filters cost about twice the time per epoch, so 18 epochs instead of 30:
# on a 2-core AMD EPYC, seed 0 made 99.650% in 14.5 min (732 s of training, 130 s
# predicting), seed 1 99.664%.
PRESETS["lenet-wide"] = {**PRESETS["lenet-deskew"], "filters": (64, 128), "max_iter": 18, "n_iter_no_change": 18}
DEFAULT = "mlp"

# Ensembles (kaggle-mnist ensemble --preset NAME): ``models`` networks of the ``member``
# preset (or of the presets of a tuple, in turn) trained on all rows, each with its own
# seed; with ``pseudo_label``, a second round of as many on the training rows plus the
# test rows the first round predicts with at least that probability. Members trained
# with label smoothing s aim at a probability of 1 - s * 9/10 for the right digit (0.91
# at s = 0.1), not at 1: a threshold has to sit below that (round 1 of an earlier top,
# three lenet-tta, seed 0: the averaged probability reached 0.9 on 21,955 of the 28,000
# test rows, 0.995 on none).
#
# top: six lenet networks, deskewed and not in turn: 99.696% (85 mistakes) in 103 min on
# a 2-core AMD EPYC; its first 2-5 members averaged 99.69-99.71%. What else was measured
# and did no better than the noise of a few rows (a pseudo-labelled round, cnn members, a
# width-normalized view, longer schedules, elastic distortions, other augmentation or no
# label smoothing for a member, twice the filters) is in step 6 of docs/walkthrough.md,
# with the figures.
ENSEMBLES = {
    "top": dict(member=("lenet-deskew", "lenet-tta"), models=6, pseudo_label=None),
}


def ensemble_plan(name, models=None, pseudo_label=None):
    """{"member", "models", "pseudo_label"} for ``kaggle-mnist ensemble --preset name``:
    an ensemble preset, or a network preset (5 members, no second round).

    ``member`` is one network preset or a tuple of them, taken in turn: member i
    trains ``member_preset(plan, i)``.
    """
    if name in ENSEMBLES:
        plan = dict(ENSEMBLES[name])
    elif name in PRESETS:
        plan = dict(member=name, models=5, pseudo_label=None)
    else:
        raise KaggleMnistError(f"unknown preset {name!r}; the presets are {', '.join([*ENSEMBLES, *PRESETS])}")
    if models is not None:
        plan["models"] = models
    if pseudo_label is not None:
        plan["pseudo_label"] = pseudo_label
    return plan


def member_presets(plan):
    """The network presets of an ensemble plan, in the order members take them."""
    member = plan["member"]
    return (member,) if isinstance(member, str) else tuple(member)


def member_preset(plan, index):
    """The network preset of member ``index`` (0-based): the plan's presets in turn."""
    names = member_presets(plan)
    return names[index % len(names)]


def member_parameters(plan, **overrides):
    """{preset: its parameters, with ``overrides``, checked} for each member preset of a plan."""
    return {name: params(name, **overrides) for name in member_presets(plan)}


def params(name, **overrides):
    """The parameters of preset ``name``, updated with ``overrides`` and checked."""
    from kaggle_mnist.estimator import NumpyNetClassifier, check_params

    if name not in PRESETS:
        raise KaggleMnistError(f"unknown preset {name!r}; the presets are {', '.join(PRESETS)}")
    merged = {**PRESETS[name], **overrides}
    try:
        check_params(NumpyNetClassifier(**merged))
    except (TypeError, ValueError) as e:
        raise KaggleMnistError(f"preset {name}: {e}") from None
    return merged


def build(name, **overrides):
    """Pipeline(PixelScaler, NumpyNetClassifier(**preset)) for raw 0-255 pixels."""
    from kaggle_mnist.estimator import NumpyNetClassifier
    from kaggle_mnist.pipeline import make_pipeline

    return make_pipeline(NumpyNetClassifier(**params(name, **overrides)))
