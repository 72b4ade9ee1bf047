"""im2col / col2im as serial compiled loops (numba). Same layout and the same
order of additions as layers/conv/im2col.py, so results are bitwise equal.

X: NCHW or channel-major memory; cols: (C, kh·kw, N, Ho, Wo) C-contiguous.
geo: (kh, kw, sh, sw, ph, pw, dh, dw).
"""
import numba

from .runs import add_run, copy_run, zero_run
from .vector import pointer

BLOCK = 8   # col2im: samples per kernel offset (see col2im)


@numba.njit(cache=True, nogil=True, inline="always")
def _span(size, out, offset, stride):
    """Outputs o in [o0, o1) whose input o·stride + offset lies in [0, size)."""
    o0 = 0 if offset >= 0 else (-offset + stride - 1) // stride
    o1 = 0 if size - 1 - offset < 0 else min(out, (size - 1 - offset) // stride + 1)
    return o0, max(o0, o1)


@numba.njit(cache=True, nogil=True)
def im2col(x, sn, sc, H, W, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[c, i·kw + j, n, ho, wo] = X[n, c, ho·sh + i·dh − ph, wo·sw + j·dw − pw] (0 outside).
    x: X's dense memory, flat, plane (n, c) starting at n·sn + c·sc (NCHW: sn = C·H·W,
    sc = H·W; channel-major: sn = H·W, sc = N·H·W); cols: (C, kh·kw, N, Ho, Wo)
    C-contiguous. Valid ranges are computed once per kernel offset: the inner
    loops are plain copies of rows (``runs.copy_run``: 8-wide blocks)."""
    C, N, Ho, Wo = cols.shape[0], cols.shape[2], cols.shape[3], cols.shape[4]
    out = cols.reshape(-1)
    t = 0
    for c in range(C):
        for i in range(kh):
            h0, h1 = _span(H, Ho, i * dh - ph, sh)
            for j in range(kw):
                w0, w1 = _span(W, Wo, j * dw - pw, sw)
                woff = j * dw - pw
                for n in range(N):
                    zero_run(out, t, h0 * Wo)
                    t += h0 * Wo
                    s = n * sn + c * sc + (h0 * sh + i * dh - ph) * W + woff + w0 * sw
                    for ho in range(h0, h1):
                        zero_run(out, t, w0)
                        copy_run(out, t + w0, x, s, w1 - w0, sw)
                        zero_run(out, t + w1, Wo - w1)
                        s += sh * W
                        t += Wo
                    zero_run(out, t, (Ho - h1) * Wo)
                    t += (Ho - h1) * Wo


@numba.njit(cache=True, nogil=True)
def col2im(dcols, dx, sn, sc, H, W, kh, kw, sh, sw, ph, pw, dh, dw):
    """dX[c, n, h, w] += dcols[c, k, n, ho, wo] for every window element k that
    came from (h, w), added in increasing k (as the numpy path). dcols
    (C, kh·kw, N, Ho, Wo) C-contiguous; dx: dX's memory, flat, plane (n, c)
    starting at n·sn + c·sc, rows of W contiguous (e.g. a chunk of samples of a
    channel-major dX). Rows are added with vector adds (``runs.add_run``), for
    ``BLOCK`` samples per kernel offset: the rows of neighbouring offsets
    overlap, and a vector load of a row stored just before (one offset earlier
    in the same sample) would wait for the store instead of forwarding it."""
    C, KK, N, Ho, Wo = dcols.shape
    src, dst = pointer(dcols), pointer(dx)
    for c in range(C):
        for b in range(0, N, BLOCK):
            for i in range(kh):
                h0, h1 = _span(H, Ho, i * dh - ph, sh)
                for j in range(kw):
                    w0, w1 = _span(W, Wo, j * dw - pw, sw)
                    k = i * kw + j
                    for n in range(b, min(b + BLOCK, N)):
                        s = (((c * KK + k) * N + n) * Ho + h0) * Wo + w0
                        d = n * sn + c * sc + (h0 * sh + i * dh - ph) * W + j * dw - pw + w0 * sw
                        for ho in range(h0, h1):
                            add_run(dst, d, sw, src, s, w1 - w0)
                            s += Wo
                            d += sh * W
