"""Triplet margin: an anchor nearer to its positive than to its negative."""
import numpy as np

from .checks import check_flag, check_number, check_same
from .loss import Loss, register


def _distance(D, p):
    """(‖D‖_p along the last axis, d‖D‖_p / dD) for the differences D."""
    if p == 2.0:
        d = np.sqrt(np.einsum("...i,...i->...", D, D))
        grad = np.divide(D, d[..., None], out=np.zeros_like(D), where=d[..., None] != 0)
        return d, grad
    A = np.abs(D)
    if p == 1.0:
        return A.sum(axis=-1), np.sign(D)
    d = (A ** p).sum(axis=-1) ** (1.0 / p)
    grad = np.sign(D) * A ** (p - 1)                      # sign(x) |x|^(p−1) / ‖x‖^(p−1)
    np.divide(grad, d[..., None] ** (p - 1), out=grad, where=d[..., None] != 0)
    grad[np.broadcast_to(d[..., None] == 0, grad.shape)] = 0
    return d, grad


@register
class TripletMargin(Loss):
    """PyTorch's ``TripletMarginLoss``: ``forward(anchor, positive, negative)``, three
    (N, D) batches (or (N, ..., D), or one (D,) triplet: distances along the last axis),
    no target; per triplet

        d(x, y) = ‖x − y + eps‖_p
        ℓ = max(0, d(a, p) − d(a, n) + margin)

    with ``swap``: d(a, n) replaced by min(d(a, n), d(p, n)) (ties share the gradient
    equally, as torch.min does). L = Σ ℓ / n, n = the number of triplets ('mean') or
    1 ('sum'); 'none': the per-triplet values. ``eps`` keeps d(x, x) > 0 so a zero
    distance has a gradient. With ∇d the gradient of the p-norm, sign(x)·abs(x)^(p−1) /
    ‖x‖^(p−1), and m = [d(a, p) − d(a, n) + margin ≥ 0] (a margin exactly met still
    passes the gradient, as PyTorch's clamp does):
    dL/da = m (∇d(a, p) − ∇d(a, n)) / n, dL/dp = −m ∇d(a, p) / n, dL/dn = m ∇d(a, n) / n;
    ``backward()`` returns (dL/danchor, dL/dpositive, dL/dnegative).
    """

    predictions = ("anchor", "positive", "negative")

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        super().__init__(reduction)
        self.margin = check_number("TripletMargin", "margin", margin, 0.0, strict=True)
        self.p = check_number("TripletMargin", "p", p, 0.0, strict=True)
        self.eps = check_number("TripletMargin", "eps", eps, 0.0)
        self.swap = check_flag("TripletMargin", "swap", swap)

    def forward(self, anchor, positive, negative):
        a, pos, neg = check_same("TripletMargin", ("anchor", "positive", "negative"), (anchor, positive, negative))
        if a.ndim < 1:
            raise ValueError(f"TripletMargin: anchor, positive and negative must be (N, D) batches (or one (D,) "
                             f"triplet), got shape {a.shape}")
        d_ap, g_ap = _distance(a - pos + self.eps, self.p)
        d_an, g_an = _distance(a - neg + self.eps, self.p)
        w_an = w_pn = g_pn = None
        d_neg = d_an
        if self.swap:
            d_pn, g_pn = _distance(pos - neg + self.eps, self.p)
            d_neg = np.minimum(d_an, d_pn)
            w_an = np.where(d_an < d_pn, 1.0, np.where(d_an == d_pn, 0.5, 0.0)).astype(a.dtype)[..., None]
            w_pn = 1 - w_an
        Z = np.asarray(d_ap - d_neg)        # 0-d for one (D,) triplet
        Z += self.margin
        m = (Z >= 0).astype(a.dtype)
        self._cache = (m, g_ap, g_an, g_pn, w_an, w_pn)
        self._s = self._scale(Z.size)
        return self._reduce(np.maximum(Z, 0, out=Z))

    def backward(self):
        m, g_ap, g_an, g_pn, w_an, w_pn = self._cached("_cache")
        k = (m * self._s)[..., None]
        if w_an is not None:
            g_an = g_an * w_an
            g_pn = g_pn * w_pn
        da = g_ap - g_an
        da *= k
        dp = g_ap * -k
        dn = g_an * k
        if g_pn is not None:
            g_pn *= k
            dp -= g_pn
            dn += g_pn
        return da, dp, dn

    def extra_repr(self):
        parts = [f"margin={self.margin}"] if self.margin != 1.0 else []
        parts += [f"p={self.p}"] if self.p != 2.0 else []
        parts += [f"eps={self.eps}"] if self.eps != 1e-6 else []
        parts += ["swap=True"] if self.swap else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(TripletMargin, name="TripletMarginLoss")  # PyTorch's name
