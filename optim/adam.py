"""Adam and AdamW (decoupled weight decay), as in torch.optim."""
import math

import numpy as np

from .checks import check_betas, check_bool, check_nonnegative, check_positive
from ..layers.kernels import kernel
from .optimizer import Optimizer, flat_arrays, register


def update_moments(m, v, g, b1, b2, d):
    """Adam's moments, in place: m ← m + (1 − β₁)(g − m), v ← β₂·v + (1 − β₂)·g²
    (``d``: a scratch array shaped like g). Shared by Adam, NAdam and RAdam."""
    np.multiply(g, g, out=d)            # v ← β₂·v + (1 − β₂)·g²
    d *= 1.0 - b2
    v *= b2
    v += d
    np.subtract(g, m, out=d)            # m ← m + (1 − β₁)(g − m)
    d *= 1.0 - b1
    m += d


@register
class Adam(Optimizer):
    """The update of ``torch.optim.Adam`` (g = grad, θ = parameter, t = this
    parameter's step number, starting at 1):

        g ← g + wd·θ                                   (weight_decay; AdamW instead θ ← θ·(1 − lr·wd))
        m ← m + (1 − β₁)·(g − m)                       (= β₁·m + (1 − β₁)·g)
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v) if amsgrad else v
        θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and with
    amsgrad ``max_exp_avg_sq``. Arguments: lr=0.001, betas=(0.9, 0.999) each in
    [0, 1), eps=1e-8 (> 0), weight_decay=0 (>= 0), amsgrad=False.
    """

    decoupled = False

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def validate(self, group):
        super().validate(group)
        name = type(self).__name__
        group["betas"] = check_betas(name, group["betas"])
        check_positive(name, eps=group["eps"])
        check_nonnegative(name, weight_decay=group["weight_decay"])
        check_bool(name, amsgrad=group["amsgrad"])

    def update(self, p, state, lr, wd, group):
        b1, b2 = group["betas"]
        t = int(state.get("step", 0)) + 1
        state["step"] = t
        m = self.init_state(p, state, "exp_avg")
        v = self.init_state(p, state, "exp_avg_sq")
        fused = kernel("adam")
        arrays = flat_arrays(p) if fused is not None else None
        if arrays is not None:                  # one compiled pass (layers/kernels/optim_kernels.py)
            data, grad = arrays
            T = data.dtype.type
            vmax = self.init_state(p, state, "max_exp_avg_sq") if group["amsgrad"] else v
            decoupled = bool(wd) and self.decoupled
            fused(data, grad, m.reshape(-1), v.reshape(-1), vmax.reshape(-1), T(0.0 if decoupled else wd),
                  T(1.0 - lr * wd if decoupled else 1.0), T(1.0 - b1), T(b2), T(1.0 - b2),
                  T(math.sqrt(1.0 - b2 ** t)), T(lr / (1.0 - b1 ** t)), T(group["eps"]), bool(group["amsgrad"]))
            return
        d = self.work(p, state, 1)
        g = self.decayed_grad(p, state, lr, wd, self.decoupled)   # AdamW: θ ← θ(1 − lr·wd), not through g
        update_moments(m, v, g, b1, b2, d)
        if group["amsgrad"]:
            vmax = self.init_state(p, state, "max_exp_avg_sq")
            np.maximum(vmax, v, out=vmax)
            v = vmax
        step_size = lr / (1.0 - b1 ** t)    # Python floats: no float64 scalars leak in
        np.sqrt(v, out=d)
        d /= math.sqrt(1.0 - b2 ** t)
        d += group["eps"]
        np.divide(m, d, out=d)
        d *= step_size
        p.data -= d


@register
class AdamW(Adam):
    """Adam with decoupled weight decay (``torch.optim.AdamW``): before the Adam
    step, θ ← θ·(1 − lr·wd); the gradient itself is not decayed.
    Arguments as Adam, but weight_decay defaults to 0.01."""

    decoupled = True

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, amsgrad=False):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
