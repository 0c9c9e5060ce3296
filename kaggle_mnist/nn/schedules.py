"""Learning-rate schedules: ``schedule(step) -> learning rate`` for step 0, 1, ...

Every schedule may start with a linear warm-up over ``warmup_steps``, which keeps the
first, noisiest updates small (useful with Adam and large batches).
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


SCHEDULES = {"constant": Constant, "step": StepDecay, "cosine": Cosine, "onecycle": OneCycle}


def make_schedule(name, lr, total_steps, warmup_steps=0):
    """The schedule called ``name`` over ``total_steps`` steps."""
    try:
        cls = SCHEDULES[name]
    except KeyError:
        raise ValueError(f"lr_schedule must be one of {sorted(SCHEDULES)}, got {name!r}") from None
    if cls is StepDecay:  # a tenth of the rate for the last third, then a hundredth
        return StepDecay(lr, total_steps, warmup_steps, step_size=max(total_steps // 3, 1), gamma=0.1)
    return cls(lr, total_steps, warmup_steps)
