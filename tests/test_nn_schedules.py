"""Learning-rate schedules against their definitions."""

import math

import pytest

from kaggle_mnist.nn import make_schedule


def test_schedules():
    const = make_schedule("constant", 0.1, 100, warmup_steps=10)
    assert const(0) == pytest.approx(0.01) and const(9) == pytest.approx(0.1) and const(50) == 0.1
    cos = make_schedule("cosine", 0.1, 100)
    assert cos(0) == pytest.approx(0.1) and cos(50) == pytest.approx(0.05) and cos(100) == pytest.approx(0)
    step = make_schedule("step", 0.1, 90)
    assert step(0) == 0.1 and step(30) == pytest.approx(0.01) and step(60) == pytest.approx(0.001)
    one = make_schedule("onecycle", 0.1, 100)
    assert one(0) == pytest.approx(0.004) and one(25) == pytest.approx(0.1) and one(100) == pytest.approx(1e-5)
    lrs = [one(s) for s in range(100)]
    assert max(lrs) == pytest.approx(0.1) and lrs.index(max(lrs)) == 25
    assert all(math.isfinite(x) and x > 0 for x in lrs)
    with pytest.raises(ValueError, match="learning_rate must be"):
        make_schedule("exp", 0.1, 10)


def test_invscaling_is_scikit_learns():
    sched = make_schedule("invscaling", 0.1, 100, batch_size=32, power_t=0.5)
    assert sched(0) == pytest.approx(0.1) and sched(3) == pytest.approx(0.1 / math.sqrt(97))


def test_adaptive_divides_by_five_after_two_epochs_without_improvement():
    from kaggle_mnist.training import History

    sched = make_schedule("adaptive", 0.1, 100, tol=1e-3)
    history = History()
    rates = []
    for loss in [1.0, 0.8, 0.7995, 0.7996, 0.5, 0.5, 0.5]:  # improves, stalls twice, improves, stalls twice
        history.loss.append(loss)
        sched.end_epoch(history)
        rates.append(sched(10))
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.02, 0.02, 0.02, 0.004])
