"""Progress: a line per epoch with an ETA when the stream is not a terminal."""

import io

from kaggle_mnist.progress import Progress, _fmt_seconds


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
    assert [_fmt_seconds(s) for s in (4.4, 65, 3 * 3600 + 125)] == ["4s", "1m05s", "3h02m"]
