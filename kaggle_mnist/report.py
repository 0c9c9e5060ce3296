"""The run report: report.md, and figures when matplotlib is installed."""

from pathlib import Path

import numpy as np

from kaggle_mnist.fileio import atomic_path, write_text


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
    lines += ["Confusion matrix of the out-of-fold predictions (rows: true label):", "", "```"]
    lines += [" ".join(f"{v:5d}" for v in row) for row in metrics["oof_confusion_matrix"]]
    lines += ["```", ""]
    lines += [f"![{p.stem}]({p.name})" for p in figures]
    write_text(run_dir / "report.md", "\n".join(lines) + "\n")
    return figures


def _figures(run_dir, folds, X, y, oof_proba, cm):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    paths = []

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for f in folds:
        ax1.plot(f.history["loss"], label=f"fold {f.fold + 1}")
        if f.history["val_accuracy"]:
            ax2.plot(f.history["val_accuracy"], label=f"fold {f.fold + 1}")
    ax1.set(title="training loss", xlabel="epoch")
    ax2.set(title="early-stopping validation accuracy", xlabel="epoch")
    ax1.legend()
    paths.append(_save(fig, run_dir / "learning_curves.png"))

    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(np.log1p(cm), cmap="Blues")
    for i, j in np.ndindex(cm.shape):
        ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7)
    ax.set(title="out-of-fold confusion matrix", xlabel="predicted", ylabel="true", xticks=range(len(cm)),
           yticks=range(len(cm)))
    paths.append(_save(fig, run_dir / "confusion_matrix.png"))

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
        paths.append(_save(fig, run_dir / "mistakes.png"))
    return paths


def _save(fig, path):
    import matplotlib.pyplot as plt

    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90, bbox_inches="tight", format="png")
    plt.close(fig)
    return path
