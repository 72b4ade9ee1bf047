"""Long short-term memory (PyTorch's nn.LSTM), gate order i, f, g, o."""
import numpy as np

from ..kernels import kernel
from .recurrent import Recurrent, steps
from ..core.registry import register
from ..runtime.scratch import recycled


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
        # recycled per layer (forward appends each layer's cache after its directions) and direction
        TC = recycled(self, f"TC{len(self._layers)}{int(reverse)}", XP.dtype, shape=(XP.shape[0],) + Hs.shape[1:])
        HW = np.empty(XP.shape[1:], XP.dtype)       # the step's hidden projection, reused
        fast = kernel("lstm_cell_step")
        for t, prev, cur in steps(XP.shape[0], reverse):
            a = XP[t]
            a += np.matmul(Hs[prev], Whh, out=HW)
            np.tanh(a, out=a)
            if fast is not None:  # the fix-ups and the cell state in one compiled pass (same arithmetic)
                fast(a, Cs[prev], Cs[cur], XP.dtype.type(0.5))
                np.tanh(Cs[cur], out=TC[t])
                np.multiply(a[:, 3 * H:], TC[t], out=Hs[cur])
                continue
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
        fast = kernel("lstm_backward_step")
        if fast is not None:   # one compiled pass per step, the same arithmetic as below (bitwise equal)
            return self._unrun_compiled(fast, A, TC, Cs, dOut, Whh, dXP, reverse, grad_h0, grad_c0, idx)
        A4, D4 = A.reshape(T, N, 4, H), dXP.reshape(T, N, 4, H)
        # Everything that does not depend on dh or dc, for all steps at once: the gates'
        # derivatives times the factor each da has besides dc (or dh for o).
        np.subtract(1, A, out=dXP)
        dXP *= A                                              # σ' = s(1 − s) (i, f, o)
        np.multiply(A4[:, :, 2], A4[:, :, 2], out=D4[:, :, 2])
        np.subtract(1, D4[:, :, 2], out=D4[:, :, 2])          # tanh' = 1 − g² (g)
        D4[:, :, 0] *= A4[:, :, 2]                            # da_i = dc ⊙ g ⊙ σ'(i)
        D4[:, :, 1] *= Cs[1:] if reverse else Cs[:-1]         # da_f = dc ⊙ cₜ₋₁ ⊙ σ'(f)
        D4[:, :, 2] *= A4[:, :, 0]                            # da_g = dc ⊙ i ⊙ tanh'(g)
        D4[:, :, 3] *= TC                                     # da_o = dh ⊙ tanh c ⊙ σ'(o)
        OD = 1 - TC * TC
        OD *= A4[:, :, 3]                                     # dc += dh ⊙ o ⊙ (1 − tanh² c)
        dh = np.zeros((N, H), Hs.dtype)
        dc = np.zeros((N, H), Hs.dtype)
        tmp = np.empty((N, H), Hs.dtype)
        WhhT = Whh.T
        for t, prev, cur in reversed(steps(T, reverse)):
            dh += dOut[t]
            np.multiply(dh, OD[t], out=tmp)
            dc += tmp
            D4[t, :, :3] *= dc[:, None, :]
            D4[t, :, 3] *= dh
            dc *= A4[t, :, 1]
            np.matmul(dXP[t], WhhT, out=dh)
        grad_h0[idx], grad_c0[idx] = dh, dc
        return dXP

    def _unrun_compiled(self, fast, A, TC, Cs, dOut, Whh, dXP, reverse, grad_h0, grad_c0, idx):
        T, N, H = TC.shape
        dh = np.zeros((N, H), A.dtype)
        dc = np.zeros((N, H), A.dtype)
        Cprev = Cs[1:] if reverse else Cs[:-1]
        one, WhhT = A.dtype.type(1), Whh.T
        for t, prev, cur in reversed(steps(T, reverse)):
            fast(A[t], TC[t], Cprev[t], dOut[t], dh, dc, dXP[t], one)
            np.matmul(dXP[t], WhhT, out=dh)
        grad_h0[idx], grad_c0[idx] = dh, dc
        return dXP
