"""Rprop: resilient backpropagation (Riedmiller & Braun 1993), as in torch.optim."""
import numpy as np

from .checks import check_nonnegative
from .optimizer import Optimizer, register


def _pair(owner, name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair, got {value!r}")
    return (value[0], value[1])


@register
class Rprop(Optimizer):
    """The update of ``torch.optim.Rprop``: each weight has its own step size δ (first
    ``lr``), grown by η₊ while its gradient keeps its sign and cut by η₋ when it flips;
    only the sign of the gradient is used (g = grad, g' = the previous step's g):

        f = η₊ if g·g' > 0,  η₋ if g·g' < 0,  1 otherwise
        δ ← clip(δ·f, step_min, step_max)
        g ← 0 where f = η₋                 (no step after a sign change)
        θ ← θ − sign(g)·δ;   g' ← g

    State per parameter: ``step``, ``prev`` (g'), ``step_size`` (δ). Arguments:
    lr=0.01, etas=(0.5, 1.2) with 0 < η₋ < 1 < η₊, step_sizes=(1e-6, 50) with
    0 <= min <= max. Meant for full-batch training: mini-batch noise flips signs.
    """

    def __init__(self, params, lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
        super().__init__(params, lr, etas=etas, step_sizes=step_sizes)

    def validate(self, group):
        super().validate(group)
        minus, plus = group["etas"] = tuple(float(e) for e in _pair("Rprop", "etas", group["etas"]))
        if not 0.0 < minus < 1.0 < plus < float("inf"):
            raise ValueError(f"Rprop: etas must be (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus, "
                             f"got {group['etas']!r}")
        low, high = _pair("Rprop", "step_sizes", group["step_sizes"])
        check_nonnegative("Rprop", **{"step_sizes[0]": low, "step_sizes[1]": high})
        if low > high:
            raise ValueError(f"Rprop: step_sizes must be (min, max) with min <= max, got {group['step_sizes']!r}")
        group["step_sizes"] = (float(low), float(high))

    def update(self, p, state, lr, wd, group):
        minus, plus = group["etas"]
        low, high = group["step_sizes"]
        state["step"] = int(state.get("step", 0)) + 1
        prev = self.init_state(p, state, "prev")
        size = self.init_state(p, state, "step_size", fill=lr)
        g = p.grad
        f = self.work(p, state, 1)
        np.multiply(g, prev, out=f)
        flip, grow = f < 0, f > 0
        f.fill(1.0)                             # f ← η₊ (same sign), η₋ (flipped), 1 (a zero)
        f[grow] = plus
        f[flip] = minus
        size *= f
        np.clip(size, low, high, out=size)
        np.copyto(prev, g)
        prev[flip] = 0.0
        np.sign(prev, out=f)
        f *= size
        p.data -= f
