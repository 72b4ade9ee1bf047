"""Cosine annealing, with and without warm restarts (as torch.optim.lr_scheduler)."""
import math

from .checks import check_horizon, check_int, check_nonnegative
from .schedule import Schedule, register


def cosine(base_lr, eta_min, t, period):
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * t / period)) / 2.0


@register
class CosineAnnealingLR(Schedule):
    """lr = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch / T_max)) / 2.
    Past T_max the cosine goes on (back up towards base_lr), as in PyTorch.
    Arguments: T_max (int >= 1, or "auto": the run's length, set by nets.fit /
    kubik train through ``set_run_length``), eta_min=0 (>= 0)."""

    horizon_args = ("T_max",)
    past_horizon = "the learning rate climbs back up"

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = check_horizon("CosineAnnealingLR", "T_max", T_max)
        check_nonnegative("CosineAnnealingLR", eta_min=eta_min)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return cosine(self.base_lr, self.eta_min, epoch, self.horizon("T_max", epoch))

    def extra_repr(self):
        return f"T_max={self.T_max}, eta_min={self.eta_min}"


@register
class CosineAnnealingWarmRestarts(Schedule):
    """SGDR: lr = eta_min + (base_lr − eta_min)·(1 + cos(π·T_cur / T_i)) / 2,
    where the i-th cycle lasts T_i = T_0·T_multⁱ epochs and T_cur counts the
    epochs since the last restart. Arguments: T_0 (int >= 1), T_mult=1
    (int >= 1), eta_min=0 (>= 0). Attributes T_cur and T_i follow last_epoch.
    T_0 is a restart period, not the run's length: it takes no "auto" (that would
    be CosineAnnealingLR), and a T_0 shorter than the run is what it is for."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0):
        check_int("CosineAnnealingWarmRestarts", "T_0", T_0, 1)
        check_int("CosineAnnealingWarmRestarts", "T_mult", T_mult, 1)
        check_nonnegative("CosineAnnealingWarmRestarts", eta_min=eta_min)
        self.T_0, self.T_mult, self.eta_min = int(T_0), int(T_mult), float(eta_min)
        super().__init__(optimizer)

    def cycle(self, epoch):
        """(T_cur, T_i) at ``epoch``, in integers."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        t, period = epoch, self.T_0
        while t >= period:
            t -= period
            period *= self.T_mult
        return t, period

    def lr_at(self, epoch):
        self.T_cur, self.T_i = self.cycle(epoch)
        return cosine(self.base_lr, self.eta_min, self.T_cur, self.T_i)

    def extra_repr(self):
        return f"T_0={self.T_0}, T_mult={self.T_mult}, eta_min={self.eta_min}"
