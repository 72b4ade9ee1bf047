"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
import numpy as np

from .checks import check_bool, check_nonnegative, check_range
from ..layers.kernels import kernel
from .optimizer import Optimizer, flat_arrays, register

# Plain SGD (no momentum, no weight decay) on fewer values than this stays on
# numpy's two passes even on the numba backend: the compiled call loses below it
# (401 values, the textbook net: 2.4 vs 3.3 µs; 4096: 3.2 vs 3.6-4.5 µs; it wins
# from 65 536: 9-11 vs 14-19 µs). The results are the same either way.
PLAIN_FUSED_MIN = 16384


@register
class SGD(Optimizer):
    """The update of ``torch.optim.SGD`` (g = grad, θ = parameter, b = momentum buffer):

        g ← g + wd·θ                             (weight_decay)
        b ← g at the first step, else μ·b + (1 − τ)·g   (momentum μ, dampening τ)
        g ← g + μ·b if nesterov else b
        θ ← θ − lr·g

    State per parameter: ``momentum_buffer`` (only with momentum > 0).
    Arguments: lr=0.01, momentum=0 (>= 0), dampening=0 (in [0, 1]),
    weight_decay=0 (>= 0), nesterov=False (needs momentum > 0, dampening 0).
    """

    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr, momentum=momentum, dampening=dampening,
                         weight_decay=weight_decay, nesterov=nesterov)

    def validate(self, group):
        super().validate(group)
        check_nonnegative("SGD", momentum=group["momentum"], weight_decay=group["weight_decay"])
        check_range("SGD", "dampening", group["dampening"], 0.0, 1.0)
        check_bool("SGD", nesterov=group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov requires momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def update(self, p, state, lr, wd, group):
        fused = kernel("sgd")
        if fused is not None and not group["momentum"] and not wd and p.data.size < PLAIN_FUSED_MIN:
            fused = None    # two numpy passes beat the compiled call's ~3 µs of argument handling
        arrays = flat_arrays(p) if fused is not None else None
        if arrays is not None:                  # one compiled pass (layers/kernels/optim_kernels.py)
            data, grad = arrays
            T, mu = data.dtype.type, group["momentum"]
            buf = state.get("momentum_buffer") if mu else None
            if buf is not None and buf.dtype != data.dtype:
                buf = state["momentum_buffer"] = buf.astype(data.dtype)
            first = mu != 0 and buf is None
            if first:
                buf = state["momentum_buffer"] = np.empty_like(p.data)
            fused(data, grad, data if buf is None else buf.reshape(-1), T(lr), T(wd), T(mu),
                  T(1.0 - group["dampening"]), bool(group["nesterov"]), first)
            return
        g = self.coupled_grad(p, state, wd)
        mu = group["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is not None and buf.dtype != p.data.dtype:     # the parameter changed dtype (astype)
                buf = state["momentum_buffer"] = buf.astype(p.data.dtype)
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= mu
                if group["dampening"]:
                    t = self.work(p, state, 1)
                    np.multiply(g, 1.0 - group["dampening"], out=t)
                    buf += t
                else:
                    buf += g
            if group["nesterov"]:
                t = self.work(p, state, 1)
                np.multiply(buf, mu, out=t)
                t += g
                g = t
            else:
                g = buf
        t = self.work(p, state, 1)
        np.multiply(g, lr, out=t)
        p.data -= t
