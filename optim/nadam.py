"""NAdam: Adam with Nesterov momentum (Dozat 2016), as in torch.optim."""
import numpy as np

from .checks import check_betas, check_bool, check_nonnegative
from .adam import update_moments
from .optimizer import Optimizer, register


@register
class NAdam(Optimizer):
    """The update of ``torch.optim.NAdam`` (g = grad, θ = parameter, t = this
    parameter's step number, from 1, ψ = ``momentum_decay``):

        g ← g + wd·θ      (weight_decay; decoupled_weight_decay: θ ← θ·(1 − lr·wd) instead)
        μₜ = β₁ (1 − ½·0.96^(t ψ)),   μₜ₊₁ likewise,   Π ← Π·μₜ      (mu_product)
        m ← m + (1 − β₁)·(g − m);   v ← β₂·v + (1 − β₂)·g²
        d = √(v / (1 − β₂ᵗ)) + eps
        θ ← θ − lr (1 − μₜ) / (1 − Π) · g / d − lr μₜ₊₁ / (1 − Π μₜ₊₁) · m / d

    State per parameter: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.
    Arguments: lr=0.002, betas=(0.9, 0.999) each in [0, 1), eps=1e-8 (>= 0),
    weight_decay=0 (>= 0), momentum_decay=0.004 (>= 0), decoupled_weight_decay=False.
    """

    real_state = ("mu_product",)

    def __init__(self, params, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled_weight_decay=False):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                         decoupled_weight_decay=decoupled_weight_decay)

    def validate(self, group):
        super().validate(group)
        group["betas"] = check_betas("NAdam", group["betas"])
        check_nonnegative("NAdam", eps=group["eps"], weight_decay=group["weight_decay"],
                          momentum_decay=group["momentum_decay"])
        check_bool("NAdam", decoupled_weight_decay=group["decoupled_weight_decay"])

    def update(self, p, state, lr, wd, group):
        b1, b2 = group["betas"]
        t = int(state.get("step", 0)) + 1
        state["step"] = t
        m = self.init_state(p, state, "exp_avg")
        v = self.init_state(p, state, "exp_avg_sq")
        g = self.decayed_grad(p, state, lr, wd, group["decoupled_weight_decay"])
        psi = group["momentum_decay"]
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        prod = float(state.get("mu_product", 1.0)) * mu
        state["mu_product"] = prod
        d = self.work(p, state, 1)
        den = self.work(p, state, 2)
        update_moments(m, v, g, b1, b2, d)
        np.divide(v, 1.0 - b2 ** t, out=den)    # d = √(v / (1 − β₂ᵗ)) + eps
        np.sqrt(den, out=den)
        den += group["eps"]
        np.divide(g, den, out=d)
        d *= -lr * (1.0 - mu) / (1.0 - prod)
        p.data += d
        np.divide(m, den, out=d)
        d *= -lr * mu_next / (1.0 - prod * mu_next)
        p.data += d
