"""Adagrad, as in torch.optim."""
import numpy as np

from .checks import check_nonnegative, check_positive
from ..layers.kernels import kernel
from .optimizer import Optimizer, flat_arrays, register


@register
class Adagrad(Optimizer):
    """The update of ``torch.optim.Adagrad`` (g = grad, θ = parameter, t = this
    parameter's step number, starting at 1):

        g ← g + wd·θ                          (weight_decay)
        S ← S + g²                            (sum, starts at initial_accumulator_value)
        θ ← θ − lr / (1 + (t − 1)·lr_decay) · g / (√S + eps)

    State per parameter: ``step``, ``sum``. Arguments: lr=0.01, lr_decay=0,
    weight_decay=0, initial_accumulator_value=0 (all >= 0), eps=1e-10 (> 0).
    """

    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def validate(self, group):
        super().validate(group)
        check_nonnegative("Adagrad", lr_decay=group["lr_decay"], weight_decay=group["weight_decay"],
                          initial_accumulator_value=group["initial_accumulator_value"])
        check_positive("Adagrad", eps=group["eps"])

    def update(self, p, state, lr, wd, group):
        t = int(state.get("step", 0)) + 1
        state["step"] = t
        acc = self.init_state(p, state, "sum", group["initial_accumulator_value"])
        fused = kernel("adagrad")
        arrays = flat_arrays(p) if fused is not None else None
        if arrays is not None:                  # one compiled pass (layers/kernels/optim_kernels.py)
            data, grad = arrays
            T = data.dtype.type
            fused(data, grad, acc.reshape(-1), T(lr / (1.0 + (t - 1) * group["lr_decay"])), T(wd), T(group["eps"]))
            return
        d = self.work(p, state, 1)
        g = self.coupled_grad(p, state, wd)
        np.multiply(g, g, out=d)
        acc += d
        clr = lr / (1.0 + (t - 1) * group["lr_decay"])
        np.sqrt(acc, out=d)
        d += group["eps"]
        np.divide(g, d, out=d)
        d *= clr
        p.data -= d
