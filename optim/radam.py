"""RAdam: Adam with a rectified adaptive rate (Liu et al. 2020), as in torch.optim."""
import math

import numpy as np

from .checks import check_betas, check_bool, check_nonnegative
from .adam import update_moments
from .optimizer import Optimizer, register


@register
class RAdam(Optimizer):
    """The update of ``torch.optim.RAdam`` (g = grad, θ = parameter, t = this
    parameter's step number, from 1):

        g ← g + wd·θ      (weight_decay; decoupled_weight_decay: θ ← θ·(1 − lr·wd) instead)
        m ← m + (1 − β₁)·(g − m);   v ← β₂·v + (1 − β₂)·g²
        ρ∞ = 2 / (1 − β₂) − 1,   ρₜ = ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
        r = √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
        θ ← θ − lr · m / (1 − β₁ᵗ) · r √(1 − β₂ᵗ) / (√v + eps)    if ρₜ > 5
        θ ← θ − lr · m / (1 − β₁ᵗ)                              otherwise (plain momentum
                                                                 while v is unreliable)

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``. Arguments: lr=0.001,
    betas=(0.9, 0.999) each in [0, 1), eps=1e-8 (>= 0), weight_decay=0 (>= 0),
    decoupled_weight_decay=False.
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay)

    def validate(self, group):
        super().validate(group)
        group["betas"] = check_betas("RAdam", group["betas"])
        check_nonnegative("RAdam", eps=group["eps"], weight_decay=group["weight_decay"])
        check_bool("RAdam", decoupled_weight_decay=group["decoupled_weight_decay"])

    def update(self, p, state, lr, wd, group):
        b1, b2 = group["betas"]
        t = int(state.get("step", 0)) + 1
        state["step"] = t
        m = self.init_state(p, state, "exp_avg")
        v = self.init_state(p, state, "exp_avg_sq")
        g = self.decayed_grad(p, state, lr, wd, group["decoupled_weight_decay"])
        d = self.work(p, state, 1)
        update_moments(m, v, g, b1, b2, d)
        bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * t * b2 ** t / bc2
        np.divide(m, bc1, out=d)
        d *= lr
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            den = self.work(p, state, 2)
            np.sqrt(v, out=den)
            den += group["eps"]
            np.divide(math.sqrt(bc2), den, out=den)
            d *= den
            d *= rect
        p.data -= d
