"""Softmax and LogSoftmax over one axis (the last by default)."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


class _SoftmaxBase(Layer):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = int(dim)

    def _shifted(self, X):
        if getattr(X, "ndim", 0) < 1 or not -X.ndim <= self.dim < X.ndim:
            raise self._shape_error(f"an array with axis {self.dim}", X)
        return X - X.max(axis=self.dim, keepdims=True)

    def _check(self, G, Y):
        if G.shape != Y.shape:
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {Y.shape}")

    def extra_repr(self):
        return f"dim={self.dim}"


@register
class Softmax(_SoftmaxBase):
    """Y = exp(X) / Σ exp(X) along ``dim`` (shifted by the max: stable).

    dX = Y ⊙ (G − Σ(G ⊙ Y)) along ``dim`` — the Jacobian diag(y) − y yᵀ
    applied to G without forming it.
    """

    def forward(self, X):
        Y = self._shifted(X)
        np.exp(Y, out=Y)
        Y /= Y.sum(axis=self.dim, keepdims=True)
        self._Y = Y
        return Y

    def backward(self, G):
        Y = self._cached("_Y")
        self._check(G, Y)
        dX = G * Y
        s = dX.sum(axis=self.dim, keepdims=True)
        dX -= Y * s
        return dX


@register
class LogSoftmax(_SoftmaxBase):
    """Y = X − log Σ exp(X) along ``dim`` (stable);  dX = G − softmax(X) ⊙ ΣG."""

    def forward(self, X):
        Z = self._shifted(X)
        lse = np.log(np.exp(Z).sum(axis=self.dim, keepdims=True))
        Z -= lse
        self._Y = Z
        return Z

    def backward(self, G):
        Y = self._cached("_Y")
        self._check(G, Y)
        P = np.exp(Y)
        P *= G.sum(axis=self.dim, keepdims=True)
        return G - P
