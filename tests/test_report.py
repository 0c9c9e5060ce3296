"""The run report: a readable report.md and the figures, for k folds and for a hold-out."""

import numpy as np
import pytest

from kaggle_mnist.runs import FoldResult
from kaggle_mnist.report import write_report


def folds_and_metrics(n_folds=2):
    rng = np.random.default_rng(0)
    y = np.arange(40) % 10
    oof = rng.random((40, 10))
    oof[np.arange(40), y] += 1  # mostly right
    oof[0] = np.eye(10)[3]  # one confident mistake: 0 -> 3
    folds = [FoldResult(k, np.arange(k, 40, n_folds), oof[k::n_folds], oof[:5],
                        {"accuracy": 0.95, "log_loss": 0.2, "epochs": 3, "seconds": 12.0},
                        {"loss": [1.0, 0.5, 0.3], "val_accuracy": [0.8, 0.9, 0.95]}) for k in range(n_folds)]
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (y, oof.argmax(axis=1)), 1)
    metrics = {"oof_accuracy": 0.975, "n_scored": 40, "mean_accuracy": 0.95, "std_accuracy": 0.01,
               "oof_confusion_matrix": cm.tolist()}
    X = rng.integers(0, 256, (40, 784), dtype=np.uint8)
    return folds, metrics, X, y, oof


def test_report_lists_every_fold_and_the_scores(tmp_path):
    folds, metrics, X, y, oof = folds_and_metrics()
    config = {"preset": "fast", "seed": 0, "version": "0.1.0", "git_commit": "abc"}
    figures = write_report(tmp_path, config, metrics, folds, X, y, oof,
                           {"accuracy": 0.96, "public_accuracy": 0.97, "private_accuracy": 0.955})
    text = (tmp_path / "report.md").read_text()
    assert "| 1 | 0.9500 |" in text and "| 2 | 0.9500 |" in text
    assert "**0.9750** over 40 rows" in text and "public 0.9700" in text
    assert "| true \\ predicted | 0 | 1 | 2 |" in text and "| **3** |" in text  # the matrix has digit labels
    pytest.importorskip("matplotlib")
    assert {p.name for p in figures} == {"learning_curves.png", "confusion_matrix.png", "mistakes.png"}
    assert all(p.stat().st_size > 1000 for p in figures)


def test_learning_curves_show_a_single_epoch(tmp_path):
    """One epoch is one point: it must still be drawn (a marker), at epoch 1."""
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from kaggle_mnist import report

    drawn = {}
    real_save = report._save

    def keep(fig, path):
        drawn["lines"] = [line for ax in fig.axes for line in ax.get_lines()]
        return real_save(fig, path)

    report._save = keep
    try:
        path = report.learning_curves([("", {"loss": [0.5], "accuracy": [0.9], "val_loss": [0.4],
                                              "val_accuracy": [0.92]})], tmp_path / "curves.png")
    finally:
        report._save = real_save
    assert path.stat().st_size > 1000 and len(drawn["lines"]) == 4  # loss, accuracy: training and validation
    assert all(list(line.get_xdata()) == [1] and line.get_marker() == "o" for line in drawn["lines"])
    plt.close("all")
