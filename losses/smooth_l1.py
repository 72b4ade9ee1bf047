"""Smooth L1 and Huber: quadratic near zero, linear beyond a threshold."""
import numpy as np

from .checks import check_number
from .loss import Loss, register


@register
class SmoothL1(Loss):
    """PyTorch's ``SmoothL1Loss``: quadratic near 0, linear beyond ``beta``.

    Elementwise, with d = P − T and β = ``beta``::

        ℓ(d) = d² / (2β)      if |d| < β
               |d| − β / 2    otherwise            (β = 0: |d|, the L1 loss)

    L = Σ ℓ / n, n = number of elements ('mean') or 1 ('sum'); 'none': the elements.
    dL/dP = clip(d, −β, β) / β / n  (sign(d) / n for β = 0).
    """

    _scale_linear = False     # Huber: ℓ = β · SmoothL1's

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = check_number("SmoothL1", "beta", beta, 0.0)

    def forward(self, pred, target):
        P, T = self._same_shape(pred, target)
        D = P - T
        w = self.beta
        self._s = self._scale(D.size)
        if w == 0:
            self._E = D
            return self._reduce(np.abs(D))
        E = np.clip(D, -w, w)            # ℓ = (E·d − E²/2) / β, E = clip(d, −β, β): both branches at once
        self._E = E
        over = 1.0 if self._scale_linear else 1.0 / w
        if self.reduction == "none":
            per = E * D
            per -= 0.5 * (E * E)
            if over != 1.0:
                per *= over
            return per
        e, d = E.reshape(-1), D.reshape(-1)
        return (float(e @ d) - 0.5 * float(e @ e)) * over * self._s

    def backward(self):
        E = self._cached("_E")
        if self.beta == 0:
            G = np.sign(E)
            scale = self._s
        else:
            G = E.copy()
            scale = self._s if self._scale_linear else self._s / self.beta
        if scale != 1.0:
            G *= scale
        return G

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + ([f"beta={self.beta}"] if self.beta != 1.0 else []))


@register
class Huber(SmoothL1):
    """PyTorch's ``HuberLoss``: quadratic near 0, linear (slope δ) beyond ``delta``.

    Elementwise, with d = P − T and δ = ``delta`` > 0::

        ℓ(d) = d² / 2             if |d| < δ
               δ (|d| − δ / 2)    otherwise        (= δ · SmoothL1 with β = δ)

    L = Σ ℓ / n, n = number of elements ('mean') or 1 ('sum'); 'none': the elements.
    dL/dP = clip(d, −δ, δ) / n.
    """

    _scale_linear = True

    def __init__(self, reduction="mean", delta=1.0):
        Loss.__init__(self, reduction)
        self.beta = check_number("Huber", "delta", delta, 0.0, strict=True)

    @property
    def delta(self):
        """The threshold δ between the quadratic and the linear part."""
        return self.beta

    def extra_repr(self):
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + ([f"delta={self.beta}"] if self.beta != 1.0 else []))


register(SmoothL1, name="SmoothL1Loss")  # PyTorch's names
register(Huber, name="HuberLoss")
