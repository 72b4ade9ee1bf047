"""Long short-term memory (PyTorch's nn.LSTM), gate order i, f, g, o."""
import numpy as np

from .recurrent import Recurrent, steps
from .registry import register


@register
class LSTM(Recurrent):
    """With aₜ = xₜ Wᵢₕ + bᵢₕ + hₜ₋₁ Wₕₕ + bₕₕ split into four H-wide blocks (i, f, g, o):

        iₜ = σ(aᵢ), fₜ = σ(a_f), gₜ = tanh(a_g), oₜ = σ(a_o)
        cₜ = fₜ ⊙ cₜ₋₁ + iₜ ⊙ gₜ,   hₜ = oₜ ⊙ tanh(cₜ)

    X (N, T, input_size) -> Y (N, T, D·hidden_size); states ``h0``/``c0``,
    ``h_n``/``c_n`` (see ``Recurrent``). Backward (walking t = T−1 … 0, with
    dh, dc carried from step t+1, G = dL/dY):

        dhₜ = Gₜ + dh,  dcₜ = dc + dhₜ ⊙ oₜ ⊙ (1 − tanh²cₜ)
        daᵢ = dcₜ ⊙ gₜ ⊙ iₜ(1 − iₜ)      da_f = dcₜ ⊙ cₜ₋₁ ⊙ fₜ(1 − fₜ)
        da_g = dcₜ ⊙ iₜ ⊙ (1 − gₜ²)       da_o = dhₜ ⊙ tanh cₜ ⊙ oₜ(1 − oₜ)
        dc ← dcₜ ⊙ fₜ,   dh ← daₜ Wₕₕᵀ

    Cached per step: the four gate values, cₜ and tanh cₜ (6·N·H numbers) and hₜ.
    """

    GATES = 4
    HAS_CELL = True

    def _run(self, XP, Hs, Cs, Whh, bhh, reverse):
        H = Hs.shape[-1]
        if bhh is not None:
            XP += bhh
        # σ(x) = (1 + tanh(x/2)) / 2: halve the i, f, o columns of XP and Wₕₕ once, then one
        # tanh per step covers all four gates, and two affine fix-ups make i, f, o sigmoids
        half = np.full(4 * H, 0.5, XP.dtype)
        half[2 * H:3 * H] = 1
        XP *= half
        Whh = Whh * half
        TC = np.empty((XP.shape[0],) + Hs.shape[1:], XP.dtype)
        for t, prev, cur in steps(XP.shape[0], reverse):
            a = XP[t]
            a += Hs[prev] @ Whh
            np.tanh(a, out=a)
            for s in (a[:, :2 * H], a[:, 3 * H:]):
                s *= 0.5
                s += 0.5
            c = Cs[cur]
            np.multiply(a[:, H:2 * H], Cs[prev], out=c)
            c += a[:, :H] * a[:, 2 * H:3 * H]
            np.tanh(c, out=TC[t])
            np.multiply(a[:, 3 * H:], TC[t], out=Hs[cur])
        return XP, TC, Cs     # XP now holds the gate values

    def _unrun(self, cache, Hs, dOut, Whh, dXP, reverse, grad_h0, grad_c0, idx):
        A, TC, Cs = cache
        T, N, H = TC.shape
        np.subtract(1, A, out=dXP)                 # the gates' derivatives for all steps at once
        dXP *= A                                   # σ' = s(1 − s)
        g = A[..., 2 * H:3 * H]
        np.multiply(g, g, out=dXP[..., 2 * H:3 * H])
        np.subtract(1, dXP[..., 2 * H:3 * H], out=dXP[..., 2 * H:3 * H])   # tanh' = 1 − g²
        dTC = 1 - TC * TC
        dh = np.zeros((N, H), Hs.dtype)
        dc = np.zeros((N, H), Hs.dtype)
        tmp = np.empty((N, H), Hs.dtype)
        WhhT = Whh.T
        for t, prev, cur in reversed(steps(T, reverse)):
            dh += dOut[t]
            a, d = A[t], dXP[t]
            np.multiply(dh, a[:, 3 * H:], out=tmp)
            tmp *= dTC[t]
            dc += tmp
            np.multiply(dh, TC[t], out=tmp)
            d[:, 3 * H:] *= tmp                    # da_o
            d[:, :H] *= a[:, 2 * H:3 * H]
            d[:, :H] *= dc                         # da_i
            d[:, H:2 * H] *= Cs[prev]
            d[:, H:2 * H] *= dc                    # da_f
            d[:, 2 * H:3 * H] *= a[:, :H]
            d[:, 2 * H:3 * H] *= dc                # da_g
            dc *= a[:, H:2 * H]
            dh = d @ WhhT
        grad_h0[idx], grad_c0[idx] = dh, dc
        return dXP
