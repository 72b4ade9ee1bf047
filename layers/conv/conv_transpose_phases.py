"""ConvTranspose2d's forward on the numpy path: col2im by output phases, with long
contiguous adds instead of strided ones.

Kernel offset i puts input row h on output row y = h·s + e_i, e_i = i·d − p;
writing e_i = q_i·s + a_i (0 ≤ a_i < s), y lies in output phase a_i (the rows
y ≡ a_i mod s), at phase row h + q_i. Every phase is a stride-1 problem: the
column block of offset k = (i, j) lands in its phase's buffer shifted by one
flat offset, so col2im becomes kh·kw adds of rows N·H·W long (numpy's col2im
adds rows W short into strided destinations: 7.8 against ~1 ms on the deconv
benchmark). Each phase buffer starts from the bias and is copied once into
its rows and columns of Y.

Where no phase has more rows than H or columns than W (a decoder's usual
k = 2s, p = s/2, or 'same' stride-1 layers), the buffer is the (N, H, W) grid of
X itself, the offset q_i·W + q_j, and the column entries that would land
outside it (shifted past an edge, where a flat add would wrap into the next
row or sample) are zeroed first. Otherwise X is laid on a zero-bordered
(H + Δ, W + Δ') grid (Δ = max q − min q), whose border absorbs every shift:
a bigger GEMM (27 % on the benchmark's shapes), so only the fallback. The
compiled col2im (numba backend) needs none of this.
"""
import numpy as np


def _axis(k, s, p, d):
    """Per kernel offset of one axis: (phase a_i, shift q_i)."""
    e = [i * d - p for i in range(k)]
    return [x % s for x in e], [x // s for x in e]


def _outside(q, n):
    """The source indices h with h + q outside [0, n) (a slice), or None."""
    return slice(n - q, n) if q > 0 else slice(0, -q) if q < 0 else None


class PhasePlan:
    """The phases of one layer on one input size (H, W) -> output (Ho, Wo)."""

    def __init__(self, in_hw, out_hw, kernel, stride, padding, dilation):
        (H, W), (Ho, Wo), (kh, kw), (sh, sw) = in_hw, out_hw, kernel, stride
        ah, qh = _axis(kh, sh, padding[0], dilation[0])
        aw, qw = _axis(kw, sw, padding[1], dilation[1])
        sizes = [(len(range(a, Ho, sh)), len(range(b, Wo, sw))) for a in range(sh) for b in range(sw)]
        self.flat = all(r <= H and c <= W for r, c in sizes)
        if self.flat:
            self.grid, self.origin = (H, W), (0, 0)
            shift = lambda i, j: (qh[i] * W + qw[j], _outside(qh[i], H), _outside(qw[j], W))
        else:
            qh0, qw0 = min(qh), min(qw)
            self.grid, self.origin = (H + max(qh) - qh0, W + max(qw) - qw0), (-qh0, -qw0)
            shift = lambda i, j: ((qh[i] - qh0) * self.grid[1] + qw[j] - qw0, None, None)
        self.phases = []     # (a, b, rows of Y in phase a, columns in phase b, [(k, offset, rows, cols to zero)])
        for a in range(sh):
            for b in range(sw):
                taps = [(i * kw + j,) + shift(i, j) for i in range(kh) if ah[i] == a for j in range(kw) if aw[j] == b]
                self.phases.append((a, b) + sizes[a * sw + b] + (taps,))
        offsets = [t[1] for *_, taps in self.phases for t in taps] or [0]
        self.front, self.back = max(0, -min(offsets)), max(0, max(offsets))


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
        if plan.flat:
            X2 = Xc[:, n0:n1].reshape(g, C // g, L)      # a view of channel-major X, else a chunk's copy
        else:
            grid = self._buffer(f"grid{name}", (C, nb, Hb, Wb), dtype, zero=True)   # the border stays zero
            grid[:, :, :H, :W] = Xc[:, n0:n1]
            X2 = grid.reshape(g, C // g, L)
        cols = self._buffer(f"pcols{name}", (g, W2t.shape[1], L), dtype)
        np.matmul(W2t, X2, out=cols)
        cols = cols.reshape(O, -1, L)
        blocks = cols.reshape(O, -1, nb, Hb, Wb)
        P = self._buffer(f"phase{name}", (O, plan.front + L + plan.back), dtype)
        F, (r0, c0) = plan.front, plan.origin
        edge = 0 if self.bias is None else self.bias.data.reshape(O, 1, 1, 1)
        for a, b, rows, columns, taps in plan.phases:
            if self.bias is None:
                P.fill(0)
            else:
                P[...] = self.bias.data[:, None]
            for k, off, zero_rows, zero_cols in taps:
                if zero_rows is not None:       # entries that would wrap into the next row / sample land nowhere
                    blocks[:, k, :, zero_rows] = 0
                if zero_cols is not None:
                    blocks[:, k, :, :, zero_cols] = 0
                P[:, F + off:F + off + L] += cols[:, k]
            Yp = Yc[:, n0:n1, a::self.stride[0], b::self.stride[1]]
            h, w = min(rows, Hb - r0), min(columns, Wb - c0)     # beyond: output_padding the kernel never reaches
            Yp[:, :, :h, :w] = P[:, F:F + L].reshape(O, nb, Hb, Wb)[:, :, r0:r0 + h, c0:c0 + w]
            if h < rows or w < columns:
                Yp[:, :, h:] = edge
                Yp[:, :, :h, w:] = edge
