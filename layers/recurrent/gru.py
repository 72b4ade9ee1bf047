"""Gated recurrent unit (PyTorch's nn.GRU), gate order r, z, n."""
import numpy as np

from .recurrent import Recurrent, steps
from ..core.registry import register


@register
class GRU(Recurrent):
    """PyTorch's equations, with b_hn inside the reset product:

        rₜ = σ(xₜ Wᵢᵣ + bᵢᵣ + hₜ₋₁ Wₕᵣ + bₕᵣ)
        zₜ = σ(xₜ W_iz + b_iz + hₜ₋₁ W_hz + b_hz)
        nₜ = tanh(xₜ Wᵢₙ + bᵢₙ + rₜ ⊙ (hₜ₋₁ Wₕₙ + bₕₙ))
        hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁

    X (N, T, input_size) -> Y (N, T, D·hidden_size); see ``Recurrent``.
    Backward (walking t = T−1 … 0, dh carried from step t+1, G = dL/dY,
    qₜ = hₜ₋₁ Wₕₙ + bₕₙ):

        dhₜ = Gₜ + dh
        daₙ = dhₜ ⊙ (1 − zₜ) ⊙ (1 − nₜ²),   da_z = dhₜ ⊙ (hₜ₋₁ − nₜ) ⊙ zₜ(1 − zₜ)
        daᵣ = daₙ ⊙ qₜ ⊙ rₜ(1 − rₜ)
        dXP = [daᵣ, da_z, daₙ],   dHP = [daᵣ, da_z, daₙ ⊙ rₜ]
        dh ← dhₜ ⊙ zₜ + dHP Wₕₕᵀ

    Cached per step: r, z, n and q (4·N·H numbers) and hₜ.
    """

    GATES = 3

    def _run(self, XP, Hs, Cs, Whh, bhh, reverse):
        H = Hs.shape[-1]
        T = XP.shape[0]
        if bhh is not None:
            XP[..., :2 * H] += bhh[:2 * H]
        XP[..., :2 * H] *= 0.5          # σ(x) = (1 + tanh(x/2)) / 2: halve r and z's columns once
        Whh = Whh.copy()
        Whh[:, :2 * H] *= 0.5
        Q = np.empty((T,) + Hs.shape[1:], XP.dtype)
        HP = np.empty(XP.shape[1:], XP.dtype)       # the step's hidden projection, reused
        for t, prev, cur in steps(T, reverse):
            hp, a = Hs[prev], XP[t]
            np.matmul(hp, Whh, out=HP)
            q = Q[t]
            if bhh is not None:
                np.add(HP[:, 2 * H:], bhh[2 * H:], out=q)
            else:
                q[...] = HP[:, 2 * H:]
            rz = a[:, :2 * H]
            rz += HP[:, :2 * H]
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            n = a[:, 2 * H:]
            n += a[:, :H] * q
            np.tanh(n, out=n)
            h = Hs[cur]
            np.subtract(hp, n, out=h)
            h *= a[:, H:2 * H]
            h += n
        return XP, Q      # XP now holds r, z, n

    def _unrun(self, cache, Hs, dOut, Whh, dXP, reverse, grad_h0, grad_c0, idx):
        A, Q = cache
        T, N, H = Q.shape
        dHP = np.empty_like(dXP)
        dh = np.zeros((N, H), Hs.dtype)
        tmp = np.empty((N, H), Hs.dtype)
        back = np.empty((N, H), Hs.dtype)
        WhhT = Whh.T
        for t, prev, cur in reversed(steps(T, reverse)):
            dh += dOut[t]
            r, z, n = A[t, :, :H], A[t, :, H:2 * H], A[t, :, 2 * H:]
            hp, d, e = Hs[prev], dXP[t], dHP[t]
            dan, daz, dar = d[:, 2 * H:], d[:, H:2 * H], d[:, :H]
            np.multiply(n, n, out=dan)
            np.subtract(1, dan, out=dan)
            np.subtract(1, z, out=tmp)
            tmp *= dh
            dan *= tmp
            np.subtract(1, z, out=daz)
            daz *= z
            np.subtract(hp, n, out=tmp)
            tmp *= dh
            daz *= tmp
            np.subtract(1, r, out=dar)
            dar *= r
            dar *= Q[t]
            dar *= dan
            e[:, :2 * H] = d[:, :2 * H]
            np.multiply(dan, r, out=e[:, 2 * H:])
            dh *= z
            dh += np.matmul(e, WhhT, out=back)
        grad_h0[idx] = dh
        return dHP
