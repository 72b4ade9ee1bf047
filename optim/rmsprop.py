"""RMSprop, as in torch.optim."""
import numpy as np

from .checks import check_bool, check_nonnegative, check_positive, check_range
from ..layers.kernels import kernel
from .optimizer import Optimizer, flat_arrays, register


@register
class RMSprop(Optimizer):
    """The update of ``torch.optim.RMSprop`` (g = grad, θ = parameter):

        g ← g + wd·θ                                  (weight_decay)
        s ← α·s + (1 − α)·g²                          (square_avg)
        ḡ ← ḡ + (1 − α)·(g − ḡ)                       (grad_avg, only if centered)
        d ← √(s − ḡ²) + eps if centered else √s + eps
        b ← μ·b + g / d ;  θ ← θ − lr·b               (momentum μ > 0)
        θ ← θ − lr·g / d                              (momentum 0)

    State per parameter: ``square_avg``, ``grad_avg`` (centered),
    ``momentum_buffer`` (momentum > 0). Arguments: lr=0.01, alpha=0.99 (in
    [0, 1]), eps=1e-8 (> 0), weight_decay=0, momentum=0 (>= 0), centered=False.
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)

    def validate(self, group):
        super().validate(group)
        check_range("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        check_positive("RMSprop", eps=group["eps"])
        check_nonnegative("RMSprop", weight_decay=group["weight_decay"], momentum=group["momentum"])
        check_bool("RMSprop", centered=group["centered"])

    def update(self, p, state, lr, wd, group):
        alpha = group["alpha"]
        state["step"] = int(state.get("step", 0)) + 1
        sq = self.init_state(p, state, "square_avg")
        fused = kernel("rmsprop")
        arrays = flat_arrays(p) if fused is not None else None
        if arrays is not None:                  # one compiled pass (layers/kernels/optim_kernels.py)
            data, grad = arrays
            T, mu = data.dtype.type, group["momentum"]
            ga = self.init_state(p, state, "grad_avg") if group["centered"] else sq
            buf = self.init_state(p, state, "momentum_buffer") if mu > 0 else sq
            fused(data, grad, sq.reshape(-1), ga.reshape(-1), buf.reshape(-1), T(lr), T(wd), T(alpha),
                  T(1.0 - alpha), T(group["eps"]), T(mu), bool(group["centered"]))
            return
        d = self.work(p, state, 1)
        g = self.coupled_grad(p, state, wd)
        np.multiply(g, g, out=d)
        d *= 1.0 - alpha
        sq *= alpha
        sq += d
        if group["centered"]:
            ga = self.init_state(p, state, "grad_avg")
            np.subtract(g, ga, out=d)
            d *= 1.0 - alpha
            ga += d
            np.multiply(ga, ga, out=d)
            np.subtract(sq, d, out=d)
            np.sqrt(d, out=d)
        else:
            np.sqrt(sq, out=d)
        d += group["eps"]
        mu = group["momentum"]
        np.divide(g, d, out=d)
        if mu > 0:
            buf = self.init_state(p, state, "momentum_buffer")
            buf *= mu
            buf += d
            np.multiply(buf, lr, out=d)
        else:
            d *= lr
        p.data -= d
