"""Elman RNN (PyTorch's nn.RNN) with tanh or ReLU."""
import numpy as np

from .recurrent import Recurrent, steps
from ..core.registry import register


@register
class RNN(Recurrent):
    """hₜ = φ(xₜ Wᵢₕ + bᵢₕ + hₜ₋₁ Wₕₕ + bₕₕ),  φ = tanh or relu (``nonlinearity``).

    X (N, T, input_size) -> Y (N, T, D·hidden_size); see ``Recurrent`` for the
    parameters, stacking, states and the GEMMs shared with LSTM and GRU.

    Backward through time (G = dL/dY, walking t = T−1 … 0, dh carried from step t+1, 0 at first):

        dhₜ = Gₜ + dh,   daₜ = dhₜ ⊙ φ'(aₜ)   (1 − hₜ² for tanh, [hₜ > 0] for relu),   dh ← daₜ Wₕₕᵀ

    and daₜ is both dXP and dHP of the shared GEMMs. Cached: the hidden states only.
    """

    GATES = 1

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, dropout=0.0,
                 bidirectional=False, rng=None, dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, dropout, bidirectional, rng, dtype)

    def _run(self, XP, Hs, Cs, Whh, bhh, reverse):
        if bhh is not None:
            XP += bhh
        tanh = self.nonlinearity == "tanh"
        zero = np.zeros(XP.shape[1:], XP.dtype)
        HW = np.empty(XP.shape[1:], XP.dtype)       # the step's hidden projection, reused
        for t, prev, cur in steps(XP.shape[0], reverse):
            a = XP[t]
            a += np.matmul(Hs[prev], Whh, out=HW)
            if tanh:
                np.tanh(a, out=Hs[cur])
            else:
                np.maximum(a, zero, out=Hs[cur])
        return None

    def _unrun(self, cache, Hs, dOut, Whh, dXP, reverse, grad_h0, grad_c0, idx):
        T = dXP.shape[0]
        out = Hs[:-1] if reverse else Hs[1:]
        if self.nonlinearity == "tanh":
            np.multiply(out, out, out=dXP)          # φ' for all steps at once: 1 − h²
            np.subtract(1, dXP, out=dXP)
        else:
            np.greater(out, 0, out=dXP, casting="unsafe")
        dh = np.zeros(Hs.shape[1:], Hs.dtype)
        WhhT = Whh.T
        for t, prev, cur in reversed(steps(T, reverse)):
            dh += dOut[t]
            da = dXP[t]
            da *= dh
            np.matmul(da, WhhT, out=dh)
        grad_h0[idx] = dh
        return dXP

    def extra_repr(self):
        s = super().extra_repr()
        return s + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")
