"""Training progress: a bar in a terminal or notebook, one line per epoch otherwise.

The bar is tqdm's (``tqdm.auto``: a notebook widget in Jupyter or Kaggle, text in a
terminal) when tqdm is installed (the ``progress`` extra). In a log file or CI, a line
per epoch reads better than a thousand redraws.

A run of several trainings (the folds of a cross-validation) sets :func:`whole_run`
around each one, and every line then also says where the whole run is and when it
should end.
"""

import contextlib
import contextvars
import sys
import time
from dataclasses import dataclass


@dataclass
class WholeRun:
    """Where a training is within a run of ``n_parts`` similar trainings."""

    part: int  # 0-based
    n_parts: int
    start: float  # time.perf_counter() when the run started
    done_before: float = 0.0  # fraction of the run finished before this part (0..1)
    name: str = "fold"


_RUN = contextvars.ContextVar("whole_run", default=None)


@contextlib.contextmanager
def whole_run(part, n_parts, start, done_before=None, name="fold"):
    """Tell any training inside the block that it is ``part`` of ``n_parts``."""
    token = _RUN.set(WholeRun(part, n_parts, start, part / n_parts if done_before is None else done_before, name))
    try:
        yield
    finally:
        _RUN.reset(token)


def fmt_seconds(s):
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def in_notebook():
    """True inside a Jupyter (or Kaggle) kernel, where the output is not a terminal but
    still shows a live bar."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """Reports a training run of ``epochs`` epochs of ``n_batches`` batches.

    ``verbose``: 0 silent, 1 or more reports. ``prefix`` names the run (a fold, say).
    """

    def __init__(self, epochs, n_batches, verbose=1, prefix="", stream=None):
        self.epochs, self.n_batches, self.verbose = epochs, n_batches, verbose
        self.run = _RUN.get()
        if self.run and not prefix:
            prefix = f"{self.run.name} {self.run.part + 1}/{self.run.n_parts}"
        self.prefix = prefix
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.bar = None
        live = getattr(self.stream, "isatty", lambda: False)() or in_notebook()
        if verbose and live:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=epochs * n_batches, file=self.stream, leave=False, unit="batch",
                                desc=(prefix + " " if prefix else "") + f"epoch 1/{epochs}")

    def batch_done(self, epoch, loss):
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    def eta(self, epoch):
        """Seconds until this training ends, and until the whole run ends (or None)."""
        now = time.perf_counter()
        done = (epoch + 1) / self.epochs
        mine = (now - self.start) / done * (1 - done)
        if self.run is None:
            return mine, None
        run_done = self.run.done_before + done / self.run.n_parts
        return mine, (now - self.run.start) / run_done * (1 - run_done)

    def epoch_done(self, epoch, logs):
        """``logs``: loss, accuracy and, when there is validation data, val_accuracy."""
        if not self.verbose:
            return
        mine, whole = self.eta(epoch)
        parts = [f"{self.prefix} " if self.prefix else "", f"epoch {epoch + 1}/{self.epochs}",
                 f"  loss {logs['loss']:.4f}  acc {100 * logs['accuracy']:.2f}%"]
        if logs.get("val_accuracy") is not None:
            parts.append(f"  val_acc {100 * logs['val_accuracy']:.2f}%")
        parts.append(f"  {fmt_seconds(time.perf_counter() - self.start)}  ETA {fmt_seconds(mine)}")
        if whole is not None:
            parts.append(f"  (whole run: ETA {fmt_seconds(whole)})")
        line = "".join(parts)
        if self.bar is not None:
            self.bar.set_description((self.prefix + " " if self.prefix else "") + f"epoch {epoch + 2}/{self.epochs}")
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
