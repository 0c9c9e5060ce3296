"""One seed in, independent random streams out: the only place seeds become generators.

A run draws random numbers for three unrelated purposes. Each gets its own
``numpy.random.Generator``, spawned from one ``SeedSequence``, so that changing how
many numbers one of them draws (more dropout, a bigger batch) never shifts the others:

- ``init``: the initial weights;
- ``data``: the order of the rows each epoch, and the augmentation of each batch;
- ``dropout``: the dropout masks.

Folds and ensemble members get child seeds the same way (:func:`child_seeds`), each
family from its own root (``[seed, ENSEMBLE, round]`` for the members of an ensemble's
round), so that no member shares a seed with a fold of the same ``--seed`` or with a
member of another round or another ``--seed``.
"""

from dataclasses import dataclass

import numpy as np

MAX_SEED = 2**32 - 1  # what NumPy's legacy seeding (and so scikit-learn) accepts
ENSEMBLE = 1  # the family of an ensemble's members (cross-validation's folds: the seed alone)


@dataclass(frozen=True)
class Streams:
    init: np.random.Generator  # initial weights
    data: np.random.Generator  # shuffling and augmentation
    dropout: np.random.Generator  # dropout masks


def streams(seed):
    """The three generators of a run with integer ``seed``."""
    init, data, dropout = np.random.SeedSequence(seed).spawn(3)
    return Streams(np.random.default_rng(init), np.random.default_rng(data), np.random.default_rng(dropout))


def child_seeds(seed, n, *family):
    """``n`` independent integer seeds derived from ``seed`` (one per fold or model).

    ``family`` (small integers, e.g. ``ENSEMBLE, round``) roots the children at
    ``SeedSequence([seed, *family])``: another family of the same seed, unrelated to the
    first. Without it they are rooted at the seed itself (cross-validation's folds).
    """
    root = np.random.SeedSequence([seed, *family] if family else seed)
    return [int(s.generate_state(1)[0]) for s in root.spawn(n)]
