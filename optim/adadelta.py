"""Adadelta (Zeiler 2012; Caffe's AdaDelta solver), as in torch.optim."""
import numpy as np

from .checks import check_nonnegative, check_range
from .optimizer import Optimizer, register


@register
class Adadelta(Optimizer):
    """The update of ``torch.optim.Adadelta`` (g = grad, θ = parameter):

        g ← g + wd·θ                                   (weight_decay)
        s ← ρ·s + (1 − ρ)·g²                           (square_avg)
        Δ ← √(a + eps) / √(s + eps) · g
        a ← ρ·a + (1 − ρ)·Δ²                           (acc_delta)
        θ ← θ − lr·Δ

    State per parameter: ``step``, ``square_avg``, ``acc_delta``. Arguments: lr=1.0
    (the step scales itself: lr = 1 is Zeiler's method), rho=0.9 (in [0, 1]),
    eps=1e-6 (>= 0), weight_decay=0 (>= 0).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, lr, rho=rho, eps=eps, weight_decay=weight_decay)

    def validate(self, group):
        super().validate(group)
        check_range("Adadelta", "rho", group["rho"], 0.0, 1.0)
        check_nonnegative("Adadelta", eps=group["eps"], weight_decay=group["weight_decay"])

    def update(self, p, state, lr, wd, group):
        rho, eps = group["rho"], group["eps"]
        state["step"] = int(state.get("step", 0)) + 1
        sq = self.init_state(p, state, "square_avg")
        acc = self.init_state(p, state, "acc_delta")
        g = self.coupled_grad(p, state, wd)
        d = self.work(p, state, 1)
        std = self.work(p, state, 2)
        np.multiply(g, g, out=d)                # s ← ρ·s + (1 − ρ)·g²
        d *= 1.0 - rho
        sq *= rho
        sq += d
        np.add(sq, eps, out=std)
        np.sqrt(std, out=std)
        np.add(acc, eps, out=d)                 # Δ = √(a + eps) / √(s + eps) · g
        np.sqrt(d, out=d)
        d /= std
        d *= g
        np.multiply(d, d, out=std)              # a ← ρ·a + (1 − ρ)·Δ²
        std *= 1.0 - rho
        acc *= rho
        acc += std
        d *= lr
        p.data -= d
