"""Margin ranking: which of two scores should rank higher."""
import numpy as np

from .checks import check_number, check_same, check_signs
from .loss import Loss, register


@register
class MarginRanking(Loss):
    """PyTorch's ``MarginRankingLoss``: ``forward(x1, x2, y)`` with scores x1, x2 and
    labels y = 1 (x1 should rank higher) or −1 (x2 should), all of one shape; elementwise

        ℓ = max(0, −y (x1 − x2) + margin)

    L = Σ ℓ / n, n = number of elements ('mean') or 1 ('sum'); 'none': the elements.
    With m = [−y (x1 − x2) + margin ≥ 0] (a margin exactly met still passes the
    gradient, as PyTorch's clamp does): dL/dx1 = −y m / n, dL/dx2 = y m / n;
    ``backward()`` returns (dL/dx1, dL/dx2).
    """

    predictions = ("x1", "x2")

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_number("MarginRanking", "margin", margin)

    def forward(self, x1, x2, y):
        x1, x2 = check_same("MarginRanking", ("x1", "x2"), (x1, x2))
        y = check_signs("MarginRanking", y, x1.shape).astype(x1.dtype, copy=False)
        Z = x2 - x1
        Z *= y
        Z += self.margin
        G = (Z >= 0).astype(x1.dtype)           # the hinge's slope, 0 or 1
        G *= y
        self._G, self._s = G, self._scale(Z.size)
        return self._reduce(np.maximum(Z, 0, out=Z))

    def backward(self):
        G = self._cached("_G")
        d2 = G * self._s
        return -d2, d2

    def extra_repr(self):
        parts = [f"margin={self.margin}"] if self.margin else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(MarginRanking, name="MarginRankingLoss")  # PyTorch's name
