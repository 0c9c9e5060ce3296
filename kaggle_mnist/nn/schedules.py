"""Learning-rate schedules: ``schedule(step) -> learning rate`` for step 0, 1, ...

Every schedule may start with a linear warm-up over ``warmup_steps``, which keeps the
first, noisiest updates small (useful with Adam and large batches). One schedule,
:class:`Adaptive`, also listens: the training loop tells it each epoch's scores
(``end_epoch``), and it lowers the rate when they stop improving.
"""

import math


class Schedule:
    def __init__(self, lr, total_steps=1, warmup_steps=0):
        self.lr, self.total_steps, self.warmup_steps = lr, max(total_steps, 1), warmup_steps

    def __call__(self, step):
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        return self.after_warmup(step)

    def after_warmup(self, step):
        return self.lr

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in vars(self).items())})"


class Constant(Schedule):
    """The same rate throughout."""


class StepDecay(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` steps."""

    def __init__(self, lr, total_steps=1, warmup_steps=0, step_size=1000, gamma=0.1):
        super().__init__(lr, total_steps, warmup_steps)
        self.step_size, self.gamma = step_size, gamma

    def after_warmup(self, step):
        return self.lr * self.gamma ** (step // self.step_size)


class Cosine(Schedule):
    """Half a cosine from ``lr`` down to ``min_lr`` at the last step (Loshchilov & Hutter)."""

    def __init__(self, lr, total_steps=1, warmup_steps=0, min_lr=0.0):
        super().__init__(lr, total_steps, warmup_steps)
        self.min_lr = min_lr

    def after_warmup(self, step):
        span = max(self.total_steps - self.warmup_steps, 1)
        progress = min((step - self.warmup_steps) / span, 1.0)
        return self.min_lr + (self.lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


class OneCycle(Schedule):
    """Smith's one-cycle: up from ``lr / div`` to ``lr`` over the first ``pct_start`` of
    training, then a cosine down to ``lr / final_div``. Its rise is the warm-up."""

    def __init__(self, lr, total_steps=1, warmup_steps=0, pct_start=0.25, div=25.0, final_div=1e4):
        super().__init__(lr, total_steps, 0)
        self.pct_start, self.div, self.final_div = pct_start, div, final_div

    def after_warmup(self, step):
        peak = max(int(self.pct_start * self.total_steps), 1)
        if step < peak:
            start = self.lr / self.div
            return start + (self.lr - start) * 0.5 * (1 - math.cos(math.pi * step / peak))
        end = self.lr / self.final_div
        progress = min((step - peak) / max(self.total_steps - peak, 1), 1.0)
        return end + (self.lr - end) * 0.5 * (1 + math.cos(math.pi * progress))


class InvScaling(Schedule):
    """scikit-learn's "invscaling": ``lr / (samples seen + 1) ** power_t``."""

    def __init__(self, lr, total_steps=1, warmup_steps=0, batch_size=1, power_t=0.5):
        super().__init__(lr, total_steps, warmup_steps)
        self.batch_size, self.power_t = batch_size, power_t

    def after_warmup(self, step):
        return self.lr / (step * self.batch_size + 1) ** self.power_t


class Adaptive(Schedule):
    """scikit-learn's "adaptive": the rate stays at ``lr`` while the score improves;
    after two epochs in a row that do not improve it by at least ``tol``, it is divided
    by 5. The score is the validation accuracy when there is validation data, else
    minus the training loss."""

    def __init__(self, lr, total_steps=1, warmup_steps=0, tol=1e-4):
        super().__init__(lr, total_steps, warmup_steps)
        self.tol, self.current, self.best, self.stalled = tol, lr, -math.inf, 0

    def after_warmup(self, step):
        return self.current

    def end_epoch(self, history):
        score = history.val_accuracy[-1] if history.val_accuracy else -history.loss[-1]
        if score > self.best + self.tol:
            self.best, self.stalled = score, 0
            return
        self.best = max(self.best, score)
        self.stalled += 1
        if self.stalled >= 2:
            self.current, self.stalled = self.current / 5, 0


SCHEDULES = {"constant": Constant, "step": StepDecay, "cosine": Cosine, "onecycle": OneCycle,
             "invscaling": InvScaling, "adaptive": Adaptive}


def make_schedule(name, lr, total_steps, warmup_steps=0, batch_size=1, power_t=0.5, tol=1e-4):
    """The schedule called ``name`` over ``total_steps`` steps of ``batch_size`` rows."""
    try:
        cls = SCHEDULES[name]
    except KeyError:
        raise ValueError(f"learning_rate must be one of {sorted(SCHEDULES)}, got {name!r}") from None
    if cls is StepDecay:  # a tenth of the rate for the last third, then a hundredth
        return StepDecay(lr, total_steps, warmup_steps, step_size=max(total_steps // 3, 1), gamma=0.1)
    if cls is InvScaling:
        return InvScaling(lr, total_steps, warmup_steps, batch_size, power_t)
    if cls is Adaptive:
        return Adaptive(lr, total_steps, warmup_steps, tol)
    return cls(lr, total_steps, warmup_steps)
