"""Adamax: Adam with the infinity norm (Kingma & Ba 2015, section 7), as in torch.optim."""
import numpy as np

from .checks import check_betas, check_nonnegative
from .optimizer import Optimizer, register


@register
class Adamax(Optimizer):
    """Adam with the infinity norm: the update of ``torch.optim.Adamax``.

    With g = grad, θ = parameter, t = this parameter's step number (from 1)::

        g ← g + wd·θ                                   (weight_decay)
        m ← m + (1 − β₁)·(g − m)                       (exp_avg)
        u ← max(β₂·u, |g| + eps)                       (exp_inf)
        θ ← θ − lr / (1 − β₁ᵗ) · m / u

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``. Arguments: lr=0.002,
    betas=(0.9, 0.999) each in [0, 1), eps=1e-8 (>= 0), weight_decay=0 (>= 0).
    """

    def __init__(self, params, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def validate(self, group):
        super().validate(group)
        group["betas"] = check_betas("Adamax", group["betas"])
        check_nonnegative("Adamax", eps=group["eps"], weight_decay=group["weight_decay"])

    def update(self, p, state, lr, wd, group):
        b1, b2 = group["betas"]
        t = int(state.get("step", 0)) + 1
        state["step"] = t
        m = self.init_state(p, state, "exp_avg")
        u = self.init_state(p, state, "exp_inf")
        g = self.coupled_grad(p, state, wd)
        d = self.work(p, state, 1)
        np.subtract(g, m, out=d)                # m ← m + (1 − β₁)(g − m)
        d *= 1.0 - b1
        m += d
        np.abs(g, out=d)                        # u ← max(β₂·u, |g| + eps)
        d += group["eps"]
        u *= b2
        np.maximum(u, d, out=u)
        np.divide(m, u, out=d)
        d *= lr / (1.0 - b1 ** t)
        p.data -= d
