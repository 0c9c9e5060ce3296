"""Training progress: an updating bar on a terminal, one line per epoch otherwise.

The bar is tqdm's when tqdm is installed (the ``progress`` extra) and the stream is a
terminal; in a log file or CI, a line per epoch reads better than a thousand redraws.
"""

import sys
import time


def _fmt_seconds(s):
    s = int(round(s))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


class Progress:
    """Reports a training run of ``epochs`` epochs of ``n_batches`` batches.

    ``verbose``: 0 silent, 1 or more reports. ``prefix`` names the run (a fold, say).
    """

    def __init__(self, epochs, n_batches, verbose=1, prefix="", stream=None):
        self.epochs, self.n_batches, self.verbose, self.prefix = epochs, n_batches, verbose, prefix
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.bar = None
        if verbose and getattr(self.stream, "isatty", lambda: False)():
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

    def epoch_done(self, epoch, logs):
        """``logs``: loss, accuracy and, when there is validation data, val_accuracy."""
        if not self.verbose:
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / (epoch + 1) * (self.epochs - epoch - 1)
        parts = [f"{self.prefix} " if self.prefix else "", f"epoch {epoch + 1}/{self.epochs}",
                 f"  loss {logs['loss']:.4f}  acc {100 * logs['accuracy']:.2f}%"]
        if logs.get("val_accuracy") is not None:
            parts.append(f"  val_acc {100 * logs['val_accuracy']:.2f}%")
        parts.append(f"  {_fmt_seconds(elapsed)}  ETA {_fmt_seconds(eta)}")
        line = "".join(parts)
        if self.bar is not None:
            self.bar.set_description((self.prefix + " " if self.prefix else "") + f"epoch {epoch + 2}/{self.epochs}")
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
