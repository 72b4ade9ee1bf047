"""Binary cross-entropy on probabilities (BCE) and on logits (BCEWithLogits)."""
import numpy as np

from .loss import Loss, register


@register
class BCE(Loss):
    """L = −Σ [t log p + (1 − t) log(1 − p)] / n, n = number of elements
    ('mean') or 1 ('sum'); each log is clamped at −100 as in PyTorch, so
    p = 0 or 1 gives a finite loss; reduction='none': the elementwise values.

    dL/dp = (p − t) / max(p (1 − p), 1e-12) / n.
    """

    def forward(self, pred, target):
        P, T = self._same_shape(pred, target)
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.log(P)
            np.maximum(logp, -100, out=logp)
            log1mp = np.negative(P)
            np.log1p(log1mp, out=log1mp)
            np.maximum(log1mp, -100, out=log1mp)
        logp -= log1mp                   # T·(log p − log(1 − p)) + log(1 − p), in place
        logp *= T
        logp += log1mp
        total = -float(logp.sum())
        # p outside [0, 1] makes a log NaN: look at the range only then (cheap in the hot path)
        if total != total and P.size and (P.min() < 0 or P.max() > 1):
            raise ValueError(f"{self!r}: pred must hold probabilities in [0, 1] (use BCEWithLogits for logits), "
                             f"got min {P.min():.4g} max {P.max():.4g}")
        self._P, self._T, self._s = P, T, self._scale(P.size)
        if self.reduction == "none":
            return np.negative(logp, out=logp)
        return total * self._s

    def backward(self):
        P, T = self._cached("_P", "_T")
        denom = 1 - P                    # in place: fewer temporaries, the same roundings
        denom *= P
        np.maximum(denom, 1e-12, out=denom)
        G = P - T
        G /= denom
        G *= self._s
        return G


@register
class BCEWithLogits(Loss):
    """L = Σ [max(x, 0) − x t + log(1 + e^−|x|)] / n  (= BCE(σ(x), t), stable
    for any logit x); dL/dx = (σ(x) − t) / n; reduction='none': the elementwise values."""

    def forward(self, pred, target):
        X, T = self._same_shape(pred, target)
        L = np.log1p(np.exp(-np.abs(X)))
        L += np.maximum(X, 0)
        L -= X * T
        self._X, self._T, self._s = X, T, self._scale(X.size)
        if self.reduction == "none":
            return L
        return float(L.sum()) * self._s

    def backward(self):
        X, T = self._cached("_X", "_T")
        G = np.tanh(X * 0.5)  # σ(x) = (1 + tanh(x/2)) / 2, no overflow
        G *= 0.5
        G += 0.5
        G -= T
        G *= self._s
        return G


register(BCE, name="BCELoss")  # PyTorch's names
register(BCEWithLogits, name="BCEWithLogitsLoss")
