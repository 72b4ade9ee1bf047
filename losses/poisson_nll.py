"""Negative log-likelihood of counts under a Poisson distribution."""
import math

import numpy as np

from .checks import check_flag, check_number
from .loss import Loss, register


@register
class PoissonNLL(Loss):
    """PyTorch's ``PoissonNLLLoss``: the prediction x is the log of the rate
    (``log_input=True``) or the rate itself, the target t a count; elementwise

        ℓ = exp(x) − t x                 (log_input)
        ℓ = x − t log(x + eps)           (otherwise)

    plus, with ``full``, Stirling's term t log t − t + ½ log(2π t) where t > 1.
    L = Σ ℓ / n, n = number of elements ('mean') or 1 ('sum'); 'none': the elements.
    dL/dx = (exp(x) − t) / n, or (1 − t / (x + eps)) / n.
    """

    def __init__(self, log_input=True, full=False, eps=1e-8, reduction="mean"):
        super().__init__(reduction)
        self.log_input = check_flag("PoissonNLL", "log_input", log_input)
        self.full = check_flag("PoissonNLL", "full", full)
        self.eps = check_number("PoissonNLL", "eps", eps, 0.0)

    def forward(self, pred, target):
        X, T = self._same_shape(pred, target)
        if self.log_input:
            G = np.exp(X)
            per = G - T * X
            G -= T
        else:
            shifted = X + self.eps
            per = X - T * np.log(shifted)
            G = T / shifted
            np.subtract(1, G, out=G)
        if self.full:
            big = T > 1
            Tb = np.where(big, T, 1)
            per += np.where(big, Tb * np.log(Tb) - Tb + 0.5 * np.log(2 * math.pi * Tb), 0).astype(X.dtype)
        self._G, self._s = G, self._scale(X.size)
        return self._reduce(per)

    def backward(self):
        G = self._cached("_G")
        return G * self._s if self._s != 1.0 else G.copy()

    def extra_repr(self):
        parts = [] if self.log_input else ["log_input=False"]
        parts += ["full=True"] if self.full else []
        parts += [f"eps={self.eps}"] if self.eps != 1e-8 else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(PoissonNLL, name="PoissonNLLLoss")  # PyTorch's name
