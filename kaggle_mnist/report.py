"""The run report: report.md, and figures when matplotlib is installed."""

from pathlib import Path

import numpy as np

from kaggle_mnist.fileio import atomic_path, write_text

REPORT_MD = "report.md"
LEARNING_CURVES_PNG = "learning_curves.png"
CONFUSION_MATRIX_PNG = "confusion_matrix.png"
MISTAKES_PNG = "mistakes.png"


def write_report(run_dir, config, metrics, folds, X, y, oof_proba, score=None):
    """Write report.md (and PNG figures) into ``run_dir``; return the figure paths."""
    run_dir = Path(run_dir)
    figures = _figures(run_dir, folds, X, y, oof_proba, np.array(metrics["oof_confusion_matrix"]))
    lines = [f"# Cross-validation of preset `{config['preset']}`", "",
             f"{len(folds)} fold(s), seed {config['seed']}, kaggle-mnist {config['version']}, "
             f"commit {config.get('git_commit') or 'unknown'}.", "",
             "| fold | accuracy | log loss | epochs | seconds |", "|---:|---:|---:|---:|---:|"]
    for f in folds:
        m = f.metrics
        lines.append(f"| {f.fold + 1} | {m['accuracy']:.4f} | {m['log_loss']:.4f} | {m['epochs']} | {m['seconds']:.0f} |")
    lines += ["", f"Out-of-fold accuracy **{metrics['oof_accuracy']:.4f}** over {metrics['n_scored']} rows; "
                  f"fold mean {metrics['mean_accuracy']:.4f} ± {metrics['std_accuracy']:.4f}.", ""]
    if score:
        lines += [f"Submission scored against solution.csv: accuracy **{score['accuracy']:.4f}**"
                  + (f" (public {score['public_accuracy']:.4f}, private {score['private_accuracy']:.4f})"
                     if score.get("public_accuracy") is not None else "") + ".", ""]
    cm = metrics["oof_confusion_matrix"]
    lines += ["Confusion matrix of the out-of-fold predictions (rows: true label, columns: predicted):", "",
              "| true \\ predicted | " + " | ".join(str(k) for k in range(len(cm))) + " |",
              "|---:|" + "---:|" * len(cm)]
    lines += [f"| **{k}** | " + " | ".join(f"**{v}**" if j == k else str(v) for j, v in enumerate(row)) + " |"
              for k, row in enumerate(cm)]
    lines += [""]
    lines += [f"![{p.stem}]({p.name})" for p in figures]
    write_text(run_dir / REPORT_MD, "\n".join(lines) + "\n")
    return figures


def _figures(run_dir, folds, X, y, oof_proba, cm):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    paths = []

    paths.append(learning_curves([(f"fold {f.fold + 1}", f.history) for f in folds], run_dir / LEARNING_CURVES_PNG))

    fig, ax = plt.subplots(figsize=(6, 5))
    shade = np.log1p(cm)
    ax.imshow(shade, cmap="Blues")
    for i, j in np.ndindex(cm.shape):  # white on the dark cells, black on the light ones
        dark = shade[i, j] > 0.55 * shade.max()
        ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set(title="out-of-fold confusion matrix (log colour scale)", xlabel="predicted", ylabel="true",
           xticks=range(len(cm)), yticks=range(len(cm)))
    paths.append(_save(fig, run_dir / CONFUSION_MATRIX_PNG))

    scored = ~np.isnan(oof_proba[:, 0])
    pred = np.where(scored, np.nan_to_num(oof_proba).argmax(axis=1), -1)
    wrong = np.flatnonzero(scored & (pred != y))
    if len(wrong):
        wrong = wrong[np.argsort(-oof_proba[wrong, pred[wrong]])][:40]  # the most confident mistakes
        cols = 10
        fig, axes = plt.subplots(int(np.ceil(len(wrong) / cols)), cols, figsize=(cols * 1.2, 1.4 * np.ceil(len(wrong) / cols)),
                                 squeeze=False)
        for ax in axes.ravel():
            ax.axis("off")
        for ax, i in zip(axes.ravel(), wrong):
            ax.imshow(X[i].reshape(28, 28), cmap="gray_r")
            ax.set_title(f"{y[i]}→{pred[i]}", fontsize=8)
        fig.suptitle("most confident out-of-fold mistakes (true→predicted)")
        paths.append(_save(fig, run_dir / MISTAKES_PNG))
    return paths


def learning_curves(histories, path):
    """Loss and accuracy per epoch (epochs counted from 1, each a marked point, so one
    epoch still shows), training solid and validation dashed, one colour per run.

    ``histories``: [(label, History.to_dict()), ...]. Returns ``path``, or None without
    matplotlib.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (label, h) in enumerate(histories):
        colour = f"C{i % 10}"
        for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            for prefix, style, what in (("", "-", "training"), ("val_", "--", "validation")):
                values = h.get(prefix + key) or []
                if values:
                    epochs = range(1, len(values) + 1)
                    ax.plot(epochs, [100 * v for v in values] if key == "accuracy" else values, style, color=colour,
                            marker="o", markersize=3, label=f"{label} {what}" if label else what)
    ax_loss.set(title="loss (cross-entropy)", xlabel="epoch", ylabel="loss")
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="%")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    ax_acc.legend(fontsize=7, ncol=2 if len(histories) > 3 else 1)
    return _save(fig, path)


def _save(fig, path):
    import matplotlib.pyplot as plt

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90, bbox_inches="tight", format="png")
    plt.close(fig)
    return path
