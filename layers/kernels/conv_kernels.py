"""im2col / col2im as serial compiled loops (numba). Same layout and the same
order of additions as layers/im2col.py, so results are bitwise equal.

Xc: (C, N, H, W) any strides; cols: (C, kh·kw, N, Ho, Wo) C-contiguous.
geo: (kh, kw, sh, sw, ph, pw, dh, dw).
"""
import numba


@numba.njit(cache=True, nogil=True, inline="always")
def _span(size, out, offset, stride):
    """Outputs o in [o0, o1) whose input o·stride + offset lies in [0, size)."""
    o0 = 0 if offset >= 0 else (-offset + stride - 1) // stride
    o1 = 0 if size - 1 - offset < 0 else min(out, (size - 1 - offset) // stride + 1)
    return o0, max(o0, o1)


# Indices are unsigned inside the copy loops: with signed ones numba checks each
# for wrap-around (negative indexing) and LLVM cannot vectorize (12x slower on
# 28-float rows).
U = numba.uint64


@numba.njit(cache=True, nogil=True, inline="always")
def _copy(dst, d, src, s, n, step):
    d, s, step = U(d), U(s), U(step)
    for q in range(U(n)):
        dst[d + q] = src[s + q * step]


@numba.njit(cache=True, nogil=True, inline="always")
def _zero(dst, d, n):
    d = U(d)
    for q in range(U(n)):
        dst[d + q] = 0


@numba.njit(cache=True, nogil=True, inline="always")
def _add(dst, d, step, src, s, n):
    d, s, step = U(d), U(s), U(step)
    for q in range(U(n)):
        dst[d + q * step] += src[s + q]


@numba.njit(cache=True, nogil=True)
def im2col(X, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[c, i·kw + j, n, ho, wo] = X[n, c, ho·sh + i·dh − ph, wo·sw + j·dw − pw] (0 outside).
    X: (N, C, H, W) C-contiguous; cols: (C, kh·kw, N, Ho, Wo) C-contiguous. Valid
    ranges are computed once per row: the inner loops are plain copies."""
    N, C, H, W = X.shape
    Ho, Wo = cols.shape[3], cols.shape[4]
    x, out = X.reshape(-1), cols.reshape(-1)
    t = 0
    for c in range(C):
        for i in range(kh):
            h0, h1 = _span(H, Ho, i * dh - ph, sh)
            for j in range(kw):
                w0, w1 = _span(W, Wo, j * dw - pw, sw)
                woff = j * dw - pw
                for n in range(N):
                    for ho in range(Ho):
                        if ho < h0 or ho >= h1:
                            _zero(out, t, Wo)
                        else:
                            s = ((n * C + c) * H + ho * sh + i * dh - ph) * W + woff
                            _zero(out, t, w0)
                            _copy(out, t + w0, x, s + w0 * sw, w1 - w0, sw)
                            _zero(out, t + w1, Wo - w1)
                        t += Wo


@numba.njit(cache=True, nogil=True)
def col2im(dcols, dXc, kh, kw, sh, sw, ph, pw, dh, dw):
    """dX[c, n, h, w] += dcols[c, k, n, ho, wo] for every window element k that
    came from (h, w), added in increasing k (as the numpy path). Both C-contiguous."""
    C, N, H, W = dXc.shape
    KK, Ho, Wo = dcols.shape[1], dcols.shape[3], dcols.shape[4]
    src, dst = dcols.reshape(-1), dXc.reshape(-1)
    for c in range(C):
        for n in range(N):
            for i in range(kh):
                h0, h1 = _span(H, Ho, i * dh - ph, sh)
                for j in range(kw):
                    w0, w1 = _span(W, Wo, j * dw - pw, sw)
                    k = i * kw + j
                    woff = j * dw - pw
                    for ho in range(h0, h1):
                        s = (((c * KK + k) * N + n) * Ho + ho) * Wo
                        d = ((c * N + n) * H + ho * sh + i * dh - ph) * W + woff
                        _add(dst, d + w0 * sw, sw, src, s + w0, w1 - w0)
