"""One step of an Elman RNN (PyTorch's nn.RNNCell)."""
import numpy as np

from ..core.registry import register
from .cell import Cell


@register
class RNNCell(Cell):
    """H' = act(X Wᵢₕ + bᵢₕ + H Wₕₕ + bₕₕ), act = tanh (or relu with ``nonlinearity="relu"``).

    ``forward(X, H)`` -> H' (N, hidden_size); ``backward(dH')`` -> (dX, dH) with
    da = dH' ⊙ act'(a) (1 − H'² for tanh, [a > 0] for relu), dXP = dHP = da (see Cell).
    ``forward(X)`` starts from H = 0 and backward returns dX.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", rng=None, dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias=bias, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, XP, HP, states):
        a = XP
        a += HP
        Hn = np.tanh(a, out=a) if self.nonlinearity == "tanh" else np.maximum(a, 0, out=a)
        return Hn, Hn

    def _unstep(self, grads, Hn):
        (G,) = grads
        da = G * (1 - Hn * Hn) if self.nonlinearity == "tanh" else G * (Hn > 0)
        return da, da, (None,)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")
