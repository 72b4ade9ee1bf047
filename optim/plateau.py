"""ReduceLROnPlateau: cut the rate when a monitored metric stops improving."""
import math

from .checks import check_int, check_nonnegative, check_range
from .schedule import Schedule, register


@register
class ReduceLROnPlateau(Schedule):
    """PyTorch's ReduceLROnPlateau. ``step(metric)`` (e.g. the validation loss):
    the metric improves when, for mode "min", metric < best·(1 − threshold)
    ("rel") or metric < best − threshold ("abs") (mirrored for "max"). After more
    than ``patience`` epochs without improvement,

        lr ← max(lr · factor, min_lr)   (if that lowers it by more than eps)

    and ``cooldown`` epochs follow in which bad epochs are not counted.
    Arguments: mode="min" | "max", factor=0.1 (in [0, 1)), patience=10
    (int >= 0), threshold=1e-4 (>= 0), threshold_mode="rel" | "abs",
    cooldown=0 (int >= 0), min_lr=0 (>= 0), eps=1e-8 (>= 0).
    ``step()`` without a metric raises ValueError.
    """

    state_keys = ("best", "num_bad_epochs", "cooldown_counter")
    needs_metric = True

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        check_range("ReduceLROnPlateau", "factor", factor, 0.0, 1.0, high_open=True)
        check_int("ReduceLROnPlateau", "patience", patience, 0)
        check_int("ReduceLROnPlateau", "cooldown", cooldown, 0)
        check_nonnegative("ReduceLROnPlateau", threshold=threshold, min_lr=min_lr, eps=eps)
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.threshold, self.min_lr, self.eps = float(threshold), float(min_lr), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr     # the starting rate; later ones depend on the metrics seen

    def is_better(self, a, best):
        """Whether metric ``a`` improves on ``best`` by more than the threshold (per ``mode``)."""
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return a > (best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metric=None):
        if metric is None:
            raise ValueError("ReduceLROnPlateau.step: needs the monitored metric, e.g. step(val_loss); got None")
        try:
            current = float(metric)
        except (TypeError, ValueError):
            raise ValueError(f"ReduceLROnPlateau.step: metric must be a number, got {metric!r}") from None
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        lr = self.last_lr
        if self.num_bad_epochs > self.patience:
            new = max(lr * self.factor, self.min_lr)
            if lr - new > self.eps:
                lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self._apply(lr)

    def extra_repr(self):
        return f"mode={self.mode!r}, factor={self.factor}, patience={self.patience}"
