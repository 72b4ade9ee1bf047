"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative, register


@register
class SGD(Optimizer):
    """The update of ``torch.optim.SGD`` (g = grad, θ = parameter, b = momentum buffer):

        g ← g + wd·θ                             (weight_decay)
        b ← g at the first step, else μ·b + (1 − τ)·g   (momentum μ, dampening τ)
        g ← g + μ·b if nesterov else b
        θ ← θ − lr·g
    """

    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=bool(nesterov))

    def validate(self, group):
        super().validate(group)
        check_nonnegative("SGD", momentum=group["momentum"], dampening=group["dampening"],
                          weight_decay=group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov requires momentum > 0 and dampening = 0")

    def update(self, p, state, lr, wd, group):
        g = p.grad
        if wd:
            g = g + wd * p.data
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= mu
                if group["dampening"]:
                    buf += (1.0 - group["dampening"]) * g
                else:
                    buf += g
            g = g + mu * buf if group["nesterov"] else buf
        scratch = state.get("_scratch")
        if scratch is None or scratch.shape != g.shape or scratch.dtype != p.data.dtype:
            scratch = state["_scratch"] = np.empty_like(p.data)
        np.multiply(g, lr, out=scratch)
        p.data -= scratch
