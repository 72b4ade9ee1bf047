"""Smooth activations: Sigmoid, Tanh, Softplus, GELU.

Elementwise, so backward is dX = G ⊙ f'(X), with f' computed from values
cached in forward.
"""
import math

import numpy as np
from .rectifier import _Elementwise
from ..core.registry import register


@register
class Sigmoid(_Elementwise):
    """Y = σ(X) = 1 / (1 + e^-X);  dX = G ⊙ Y(1 − Y).

    Computed as (1 + tanh(X/2)) / 2: stable for any X, no overflow.
    """

    def forward(self, X):
        Y = np.multiply(X, 0.5)
        np.tanh(Y, out=Y)
        Y *= 0.5
        Y += 0.5
        self._Y = Y
        return Y

    def backward(self, G):
        Y = self._matching(G, "_Y")
        dX = 1 - Y
        dX *= Y
        dX *= G
        return dX


@register
class Tanh(_Elementwise):
    """Y = tanh(X);  dX = G ⊙ (1 − Y²)."""

    def forward(self, X):
        Y = np.tanh(X)
        self._Y = Y
        return Y

    def backward(self, G):
        Y = self._matching(G, "_Y")
        dX = Y * Y
        np.subtract(1, dX, out=dX)
        dX *= G
        return dX


@register
class Softplus(_Elementwise):
    """Y = log(1 + e^(βX)) / β, and Y = X where βX > threshold (as PyTorch);
    dX = G ⊙ σ(βX) (1 in the linear region)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        if beta <= 0:
            raise ValueError(f"Softplus: beta must be > 0, got {beta!r}")
        self.beta, self.threshold = float(beta), float(threshold)

    def forward(self, X):
        bX = X * self.beta
        linear = bX > self.threshold
        # log1p(e^z) = max(z, 0) + log1p(e^-|z|): stable for any z
        Y = np.log1p(np.exp(-np.abs(bX)))
        Y += np.maximum(bX, 0)
        Y /= self.beta
        sig = np.tanh(bX * 0.5)
        sig *= 0.5
        sig += 0.5
        self._D = np.where(linear, np.ones((), X.dtype), sig)
        return np.where(linear, X, Y)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


def erf(x):
    """scipy's erf (keeps float32), imported on first use: importing
    scipy.special costs about 0.2 s, which every `kubik` command would pay."""
    from scipy.special import erf as _erf
    return _erf(x)


@register
class GELU(_Elementwise):
    """Y = X Φ(X) with Φ the standard normal CDF (exact, erf form);
    dX = G ⊙ (Φ(X) + X φ(X)).

    approximate='tanh': Y = X (1 + tanh(u)) / 2, u = √(2/π)(X + 0.044715 X³),
    dX = G ⊙ ((1 + t)/2 + X (1 − t²) √(2/π)(1 + 3·0.044715 X²) / 2), t = tanh(u).
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, X):
        if self.approximate == "tanh":
            c = math.sqrt(2.0 / math.pi)
            X2 = X * X
            t = np.tanh(c * X * (1 + 0.044715 * X2))
            half = 0.5 * (1 + t)
            self._D = half + 0.5 * X * (1 - t * t) * c * (1 + 3 * 0.044715 * X2)
            return X * half
        cdf = erf(X * (1 / math.sqrt(2.0)))
        cdf += 1
        cdf *= 0.5
        pdf = np.exp(-0.5 * X * X)
        pdf *= X * (1 / math.sqrt(2 * math.pi))
        self._D = cdf + pdf
        return X * cdf

    def extra_repr(self):
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"
