"""Self-gated activations: SiLU (swish) and Mish, each X times a smooth gate of X.

Elementwise, so backward is dX = G ⊙ f'(X), with f' computed from values
cached in forward (``_Elementwise``: D = dY/dX).
"""
import numpy as np

from ..core.registry import register
from .rectifier import _Elementwise


def _sigmoid(X):
    """σ(X) = (1 + tanh(X/2)) / 2: stable for any X."""
    s = np.tanh(X * 0.5)
    s *= 0.5
    s += 0.5
    return s


@register
class SiLU(_Elementwise):
    """Y = X σ(X) (swish, as torch.nn.SiLU);  dX = G ⊙ σ(X)(1 + X(1 − σ(X)))."""

    def forward(self, X):
        s = _sigmoid(X)
        Y = X * s
        D = 1 - s
        D *= X
        D += 1
        D *= s
        self._D = D
        return Y


@register
class Mish(_Elementwise):
    """Y = X tanh(softplus(X)), softplus(X) = log(1 + e^X) (as torch.nn.Mish);
    dX = G ⊙ (t + X σ(X)(1 − t²)) with t = tanh(softplus(X)).

    softplus is taken as max(X, 0) + log1p(e^−|X|): no overflow for any X.
    """

    def forward(self, X):
        t = np.log1p(np.exp(-np.abs(X)))
        t += np.maximum(X, 0)
        np.tanh(t, out=t)
        D = 1 - t * t
        D *= _sigmoid(X)
        D *= X
        D += t
        self._D = D
        return X * t
