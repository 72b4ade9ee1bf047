"""Schedule: the base of every learning-rate schedule, and the schedule registry.

    sched = optim.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        train_one_epoch(); sched.step()            # or once per optimizer step

A schedule reads ``opt.lr`` at construction as its ``base_lr``, sets
``opt.lr`` to its value at ``last_epoch = 0`` right away (as PyTorch's
schedulers do), and each ``step(metric=None)`` advances ``last_epoch`` by one
and sets ``opt.lr`` (parameter groups keep their lr_mult on top of it). Only
ReduceLROnPlateau uses ``metric``; the others ignore it. ``state_dict()`` is a
plain dict of numbers (and the nested state of a wrapped schedule).

Horizons. A schedule whose shape depends on the length of the run (cosine's
``T_max``, poly's ``max_iter``, the schedule after a warm-up) names those
arguments in ``horizon_args``; each may be given as ``"auto"``, and
``set_run_length(n)`` (which ``nets.fit`` and ``kubik train`` call when a run
starts or resumes, with n = epochs, or optimizer steps for a per-step schedule)
makes it the run's length, so ``--set train.epochs=100`` or ``--epochs`` on
``--resume`` stretches the schedule too. An explicit horizon shorter than the
run is kept, and ``set_run_length`` returns a line saying so.
"""
import math

from ..layers import Registry
from ..layers.core.spec import record_init, recording

from .checks import AUTO, plain

SCHEDULES = Registry("schedule")
register = SCHEDULES.register


class Schedule:
    """Base class: subclasses store and check their arguments, then call
    ``super().__init__(optimizer)``, and define ``lr_at(epoch)``, the learning
    rate after ``epoch`` steps in closed form. Stateful schedules also override
    ``step`` and list their extra attributes in ``state_keys``. A subclass's
    constructor arguments are recorded (layers/core/spec.py; used by optim/spec.py)."""

    state_keys = ()
    needs_metric = False     # True when step() must be given the monitored metric
    horizon_args = ()        # arguments that are the schedule's length; each may be "auto"
    past_horizon = "the schedule's shape ends there"   # what happens past an explicit horizon

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        record_init(cls)      # its constructor arguments, for spec(): layers/core/spec.py

    @recording
    def __init__(self, optimizer, base_lr=None):
        if not hasattr(optimizer, "lr") or not hasattr(optimizer, "step"):
            raise TypeError(f"{type(self).__name__}: expected an optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr if base_lr is None else base_lr)
        if not 0 <= self.base_lr < math.inf:
            raise ValueError(f"{type(self).__name__}: the optimizer's lr must be a finite number >= 0, got {self.base_lr!r}")
        self.last_epoch = 0
        self._apply(self.lr_at(0))

    def lr_at(self, epoch: int) -> float:
        """The learning rate after ``epoch`` steps (subclasses)."""
        raise TypeError(f"{type(self).__name__} is not a usable schedule: it does not define lr_at()")

    def horizon(self, name, epoch=None):
        """The value of horizon argument ``name``; while it is still "auto" (no
        ``set_run_length`` yet) 1 at epoch 0, where every horizon gives base_lr, and
        otherwise a ValueError saying how to set it."""
        value = getattr(self, name)
        if value != AUTO:
            return value
        if not epoch:
            return 1
        raise ValueError(f"{type(self).__name__}: {name} is 'auto' (the run's length), which nets.fit and "
                         f"kubik train set when the run starts; stepping it yourself, call "
                         f"set_run_length(n) first")

    def set_run_length(self, length, unit="epochs"):
        """Fit the schedule to a run of ``length`` of its steps (epochs, or optimizer
        steps for a per-step schedule; ``unit`` words it): every horizon given as
        "auto" becomes ``length`` and the optimizer's lr follows at once. Returns a
        list of warnings, one line for each explicit horizon shorter than the run."""
        notes, auto = [], self.__dict__.setdefault("_auto_horizons", [
            n for n in self.horizon_args if getattr(self, n) == AUTO])
        for name in self.horizon_args:
            given = getattr(self, name)
            if name in auto:
                setattr(self, name, max(1, int(length)))
            elif given < length:
                notes.append(f"{type(self).__name__}: {name} {given} is shorter than the run ({length} {unit}): "
                             f"past {given} {unit} {self.past_horizon}; "
                             f"{name}: auto follows the run's length")
        if auto:
            self._apply(self.lr_at(self.last_epoch))
        return notes

    def step(self, metric=None) -> float:
        """Advance one epoch (or one step) and set the optimizer's lr; returns it."""
        self.last_epoch += 1
        return self._apply(self.lr_at(self.last_epoch))

    def _apply(self, lr):
        self.last_lr = float(lr)
        self.optimizer.lr = self.last_lr
        return self.last_lr

    def get_last_lr(self) -> float:
        """The learning rate this schedule set last (a float)."""
        return self.last_lr

    def state_dict(self):
        """The schedule's position and state as a dict of plain numbers (saved in checkpoints)."""
        sd = {"type": type(self).__name__, "base_lr": self.base_lr,
              "last_epoch": self.last_epoch, "last_lr": self.last_lr}
        for k in self.state_keys:
            sd[k] = getattr(self, k)
        return sd

    def load_state_dict(self, sd):
        """Restore a state from ``state_dict`` (numbers may be 0-d arrays after an
        .npz round trip) and set the optimizer's lr to the saved last lr."""
        name = type(self).__name__
        saved = plain(sd.get("type", name))
        if saved != name:
            raise ValueError(f"{name}.load_state_dict: state comes from a {saved} schedule")
        missing = [k for k in ("base_lr", "last_epoch", "last_lr", *self.state_keys) if k not in sd]
        if missing:
            raise ValueError(f"{name}.load_state_dict: missing entries {missing}")
        self.base_lr = float(plain(sd["base_lr"]))
        self.last_epoch = int(plain(sd["last_epoch"]))
        for k in self.state_keys:
            setattr(self, k, plain(sd[k]))
        self._apply(float(plain(sd["last_lr"])))
        return self

    def extra_repr(self):
        """The arguments shown inside ``repr(schedule)``."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra + ', ' if extra else ''}base_lr={self.base_lr}, last_epoch={self.last_epoch})"


def build_schedule(optimizer, spec, owner="schedule"):
    """A Schedule from a config entry: a Schedule (returned as is), a name
    (``"CosineAnnealingLR"``) or a one-key mapping ``{"StepLR": {"step_size": 30}}``."""
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, str):
        return SCHEDULES.get(spec)(optimizer)
    if isinstance(spec, dict) and len(spec) == 1:
        (name, kwargs), = spec.items()
        return SCHEDULES.get(name)(optimizer, **(kwargs or {}))
    raise TypeError(f"{owner}: expected a schedule, a schedule name or {{Name: {{arguments}}}}, got {spec!r}")
