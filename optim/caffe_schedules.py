"""Caffe's "inv" and "poly" learning-rate policies."""
from .checks import check_horizon, check_nonnegative
from .schedule import Schedule, register


@register
class InvLR(Schedule):
    """Caffe's "inv" policy: lr = base_lr · (1 + gamma·iter)^(−power), with
    iter = last_epoch. Arguments: gamma (>= 0), power (>= 0); e.g. Caffe's
    LeNet solver uses gamma=1e-4, power=0.75 stepped once per iteration."""

    def __init__(self, optimizer, gamma, power):
        check_nonnegative("InvLR", gamma=gamma, power=power)
        self.gamma, self.power = float(gamma), float(power)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * (1.0 + self.gamma * epoch) ** (-self.power)

    def extra_repr(self):
        return f"gamma={self.gamma}, power={self.power}"


@register
class PolyLR(Schedule):
    """Caffe's "poly" policy: lr = base_lr · (1 − iter / max_iter)^power, with
    iter = min(last_epoch, max_iter) (so the rate stays 0 after max_iter; the
    same values as PyTorch's PolynomialLR(total_iters=max_iter, power)).
    Arguments: max_iter (int >= 1, or "auto": the run's length, set by nets.fit /
    kubik train through ``set_run_length``), power=1.0 (>= 0)."""

    horizon_args = ("max_iter",)
    past_horizon = "the learning rate stays 0"

    def __init__(self, optimizer, max_iter, power=1.0):
        self.max_iter = check_horizon("PolyLR", "max_iter", max_iter)
        check_nonnegative("PolyLR", power=power)
        self.power = float(power)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        max_iter = self.horizon("max_iter", epoch)
        return self.base_lr * (1.0 - min(epoch, max_iter) / max_iter) ** self.power

    def extra_repr(self):
        return f"max_iter={self.max_iter}, power={self.power}"
