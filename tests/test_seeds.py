"""One seed, three independent streams; child seeds for folds and ensemble members."""

import numpy as np

from kaggle_mnist import seeds


def test_streams_are_reproducible_and_independent():
    a, b = seeds.streams(7), seeds.streams(7)
    draws = {name: getattr(a, name).random(3) for name in ("init", "data", "dropout")}
    assert all(np.array_equal(getattr(b, name).random(3), d) for name, d in draws.items())
    assert len({tuple(d) for d in draws.values()}) == 3
    # Drawing more from one stream leaves the others as they were.
    c = seeds.streams(7)
    c.dropout.random(1000)
    assert np.array_equal(c.init.random(3), draws["init"])


def test_child_seeds_differ_and_repeat():
    kids = seeds.child_seeds(0, 5)
    assert len(set(kids)) == 5 and kids == seeds.child_seeds(0, 5) and kids != seeds.child_seeds(1, 5)
    assert all(0 <= k <= seeds.MAX_SEED for k in kids)


def test_families_of_child_seeds_never_meet():
    """Folds of --seed 0..2 and the members of rounds 1 and 2 of the same seeds: all
    different (members once reused the folds' seeds, and round 2 of seed S was round 1
    of seed S + 1)."""
    family = [seeds.child_seeds(s, 5) for s in range(3)]
    family += [seeds.child_seeds(s, 5, seeds.ENSEMBLE, r) for s in range(3) for r in (1, 2)]
    every = [k for kids in family for k in kids]
    assert len(set(every)) == len(every) == 45
