"""ConvTranspose2d's forward on the numpy path: col2im by output phases, with long
contiguous adds instead of strided ones.

Kernel offset i puts input row h on output row y = h·s + e_i, e_i = i·d − p;
writing e_i = q_i·s + a_i (0 ≤ a_i < s), y lies in output phase a_i (the rows
y ≡ a_i mod s), at phase row h + q_i. Every phase is a stride-1 problem: with X
placed on a zero-bordered (H + Δ, W + Δ') grid (Δ = max q − min q), the column
block of offset k = (i, j) lands in its phase's buffer shifted by one flat offset
(q_i − min q)·(W + Δ') + (q_j − min q'), so col2im becomes kh·kw adds of rows
N·(H + Δ)·(W + Δ') long (numpy's col2im adds rows W short into strided
destinations: 7.8 against 3 ms on the deconv benchmark). Each phase buffer
starts from the bias and is copied once into its rows and columns of Y. The
compiled col2im (numba backend) needs none of this.
"""
import numpy as np


def _axis(k, s, p, d):
    """Per kernel offset of one axis: (phase a_i, shift q_i); and min q, max q."""
    e = [i * d - p for i in range(k)]
    a, q = [x % s for x in e], [x // s for x in e]
    return a, q, min(q), max(q)


class PhasePlan:
    """The phases of one layer on one input size (H, W) -> output (Ho, Wo)."""

    def __init__(self, in_hw, out_hw, kernel, stride, padding, dilation):
        (H, W), (Ho, Wo), (kh, kw), (sh, sw) = in_hw, out_hw, kernel, stride
        ah, qh, self.qh0, qh1 = _axis(kh, sh, padding[0], dilation[0])
        aw, qw, self.qw0, qw1 = _axis(kw, sw, padding[1], dilation[1])
        self.grid = (H + qh1 - self.qh0, W + qw1 - self.qw0)       # (Hb, Wb): X's zero-bordered grid
        Wb = self.grid[1]
        self.phases = []     # (a, b, rows of Y in phase a, columns in phase b, [(k, flat offset)])
        for a in range(sh):
            for b in range(sw):
                taps = [(i * kw + j, (qh[i] - self.qh0) * Wb + (qw[j] - self.qw0))
                        for i in range(kh) if ah[i] == a for j in range(kw) if aw[j] == b]
                self.phases.append((a, b, len(range(a, Ho, sh)), len(range(b, Wo, sw)), taps))
        self.extra = max((off for *_, taps in self.phases for _, off in taps), default=0)


class PhaseForward:
    """Mixin of ConvTranspose2d: ``_phase_chunk``, the numpy path's forward of one chunk."""

    def _phase_plan(self, hw, out_hw):
        key = ("phases",) + tuple(hw)
        plan = self._geo.get(key)
        if plan is None:
            plan = self._geo[key] = PhasePlan(hw, out_hw, self.kernel_size, self.stride, self.padding, self.dilation)
        return plan

    def _phase_chunk(self, Xc, n0, n1, W2t, Yc, plan, dtype, name):
        """Y[:, n0:n1] (channel-major) of samples n0..n1 of the channel-major input view Xc."""
        C, _, H, W = Xc.shape
        O, g, nb = Yc.shape[0], self.groups, n1 - n0
        Hb, Wb = plan.grid
        L = nb * Hb * Wb
        grid = self._buffer(f"grid{name}", (C, nb, Hb, Wb), dtype, zero=True)   # the border stays zero
        grid[:, :, :H, :W] = Xc[:, n0:n1]
        cols = self._buffer(f"pcols{name}", (g, W2t.shape[1], L), dtype)
        np.matmul(W2t, grid.reshape(g, C // g, L), out=cols)
        cols = cols.reshape(O, -1, L)
        P = self._buffer(f"phase{name}", (O, L + plan.extra), dtype)
        r0, c0 = -plan.qh0, -plan.qw0
        for a, b, rows, columns, taps in plan.phases:
            if self.bias is None:
                P.fill(0)
            else:
                P[...] = self.bias.data[:, None]
            for k, off in taps:
                P[:, off:off + L] += cols[:, k]
            Yp = Yc[:, n0:n1, a::self.stride[0], b::self.stride[1]]
            h, w = min(rows, Hb - r0), min(columns, Wb - c0)     # beyond: output_padding the kernel never reaches
            Yp[:, :, :h, :w] = P[:, :L].reshape(O, nb, Hb, Wb)[:, :, r0:r0 + h, c0:c0 + w]
            if h < rows or w < columns:
                edge = 0 if self.bias is None else self.bias.data.reshape(O, 1, 1, 1)   # the bias alone
                Yp[:, :, h:] = edge
                Yp[:, :, :h, w:] = edge
