"""LinearWarmup: a linear ramp, then optionally another schedule."""
from .checks import check_int, check_range
from .schedule import Schedule, build_schedule, register


@register
class LinearWarmup(Schedule):
    """For epoch < warmup_steps:

        lr = base_lr · (start_factor + (1 − start_factor) · epoch / warmup_steps)

    then ``after`` takes over, restarted at its own epoch 0 (so ``after`` sees
    epoch − warmup_steps); without ``after`` the rate stays at base_lr.

        sched = LinearWarmup(opt, warmup_steps=5, start_factor=0.1,
                             after=CosineAnnealingLR(opt, T_max=95))

    equals PyTorch's ``SequentialLR(opt, [LinearLR(opt, start_factor, 1.0,
    warmup_steps), CosineAnnealingLR(opt, 95)], milestones=[warmup_steps])``
    (and LinearLR alone without ``after``). ``after`` is a schedule built on the
    same optimizer (its base_lr is used), or a config entry such as
    ``{"CosineAnnealingLR": {"T_max": 95}}``. During the warmup ``after`` is not
    stepped and ``metric`` is ignored; afterwards ``step(metric)`` passes it on
    (so ``after`` may be a ReduceLROnPlateau).
    Arguments: warmup_steps (int >= 0), start_factor=1/3 (in [0, 1], PyTorch's
    LinearLR default), after=None.

    A one-cycle-like run: ``after={"CosineAnnealingLR": {"T_max": "auto"}}``;
    ``set_run_length(n)`` gives ``after`` the n − warmup_steps steps left.
    """

    def __init__(self, optimizer, warmup_steps, start_factor=1.0 / 3.0, after=None):
        check_int("LinearWarmup", "warmup_steps", warmup_steps, 0)
        check_range("LinearWarmup", "start_factor", start_factor, 0.0, 1.0)
        self.warmup_steps, self.start_factor = int(warmup_steps), float(start_factor)
        self.after = None if after is None else build_schedule(optimizer, after, "LinearWarmup: after")
        if self.after is not None and self.after.optimizer is not optimizer:
            raise ValueError("LinearWarmup: 'after' must be a schedule of the same optimizer")
        super().__init__(optimizer, base_lr=None if self.after is None else self.after.base_lr)

    @property
    def needs_metric(self):
        return self.after is not None and self.after.needs_metric

    def lr_at(self, epoch):
        if epoch < self.warmup_steps:
            return self.base_lr * (self.start_factor + (1.0 - self.start_factor) * epoch / self.warmup_steps)
        return self.base_lr if self.after is None else self.after.last_lr

    def set_run_length(self, length, unit="epochs"):
        """``after`` gets the run's length less the warm-up (see Schedule.set_run_length)."""
        if self.after is None:
            return []
        notes = self.after.set_run_length(max(1, int(length) - self.warmup_steps), f"{unit} after the warm-up")
        self._apply(self.lr_at(self.last_epoch))
        return [f"LinearWarmup's after: {note}" for note in notes]

    def step(self, metric=None):
        self.last_epoch += 1
        if self.after is not None and self.last_epoch > self.warmup_steps:
            return self._apply(self.after.step(metric))
        return self._apply(self.lr_at(self.last_epoch))

    def state_dict(self):
        sd = super().state_dict()
        if self.after is not None:
            sd["after"] = self.after.state_dict()
        return sd

    def load_state_dict(self, sd):
        if (self.after is not None) != ("after" in sd):
            raise ValueError("LinearWarmup.load_state_dict: the saved state and this schedule differ in having 'after'")
        if self.after is not None:
            self.after.load_state_dict(sd["after"])
        return super().load_state_dict(sd)

    def extra_repr(self):
        after = f", after={self.after!r}" if self.after is not None else ""
        return f"warmup_steps={self.warmup_steps}, start_factor={self.start_factor}{after}"
