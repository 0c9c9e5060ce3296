"""Progress: a line per epoch with an ETA when the stream is not a terminal."""

import io

from kaggle_mnist.progress import Progress, fmt_seconds


def test_one_line_per_epoch_with_validation_and_eta():
    stream = io.StringIO()
    progress = Progress(epochs=3, n_batches=2, verbose=1, prefix="fold 2/5", stream=stream)
    for epoch in range(2):
        progress.batch_done(epoch, 0.5)
        progress.epoch_done(epoch, {"loss": 0.25, "accuracy": 0.875, "val_accuracy": 0.9 if epoch else None})
    progress.close()
    first, second = stream.getvalue().splitlines()
    assert first.startswith("fold 2/5 epoch 1/3  loss 0.2500  acc 87.50%") and "val_acc" not in first
    assert "epoch 2/3" in second and "val_acc 90.00%" in second and "ETA" in second


def test_silent_when_not_verbose():
    stream = io.StringIO()
    progress = Progress(epochs=2, n_batches=1, verbose=0, stream=stream)
    progress.epoch_done(0, {"loss": 1.0, "accuracy": 0.5})
    assert stream.getvalue() == ""


def test_durations_read_naturally():
    assert [fmt_seconds(s) for s in (4.4, 65, 3 * 3600 + 125)] == ["4s", "1m05s", "3h02m"]


def test_a_part_of_a_whole_run_reports_the_runs_eta(monkeypatch):
    import itertools
    import time

    from kaggle_mnist import progress

    clock = itertools.chain([100.0], itertools.repeat(110.0))  # Progress starts at 100 s; the epoch ends at 110 s
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    stream = io.StringIO()
    with progress.whole_run(part=1, n_parts=4, start=80.0):  # the run began 20 s before this fold
        p = Progress(epochs=2, n_batches=1, verbose=1, stream=stream)
        p.epoch_done(0, {"loss": 1.0, "accuracy": 0.5})
    line = stream.getvalue()
    # this fold: half done in 10 s -> 10 s left; the run: 1/4 + 1/8 done in 30 s -> 50 s left
    assert line.startswith("fold 2/4 epoch 1/2") and "ETA 10s" in line and "whole run: ETA 50s" in line


def test_notebooks_get_a_bar_even_without_a_terminal(monkeypatch):
    import sys
    import types

    from kaggle_mnist import progress

    ZMQInteractiveShell = type("ZMQInteractiveShell", (), {})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: ZMQInteractiveShell()))
    assert progress.in_notebook()
    p = Progress(epochs=1, n_batches=3, verbose=1, stream=io.StringIO())
    assert p.bar is not None
    p.close()
