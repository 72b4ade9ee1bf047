"""Winograd F(2×2, 3×3) forward transforms (layers/conv/winograd.py) as serial
compiled loops, and the vector helpers the backward ones (winograd_grad_kernels.py)
share: the same additions in the same order as the numpy path, so results are
bitwise equal. The input kernel also does the numpy path's padding/transposing
copy (reading X in place, any strides).

X (n, C, H, W), V (16, n·th·tw, C), M (16, n·th·tw, O), Y (n, 2·th, 2·tw, O);
tile t = (i·th + ty)·tw + tx.
"""
import numba
import numpy as np


# Every inner loop writes one contiguous run of channels from one to three
# contiguous runs (slices), which LLVM vectorizes; loops writing several
# outputs at once, or through computed flat indices, stayed scalar (3.5x
# slower). Inputs in NCHW are first gathered, one sample at a time and read in
# memory order, into a channels-last buffer (zero past the edges).


@numba.njit(cache=True, nogil=True, inline="always")
def _add(o, x, y):
    for c in range(o.shape[0]):
        o[c] = x[c] + y[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _sub(o, x, y):
    for c in range(o.shape[0]):
        o[c] = x[c] - y[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _add_sub(o, x, y, z):
    for c in range(o.shape[0]):
        o[c] = x[c] + y[c] - z[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _sub_add(o, x, y, z):
    for c in range(o.shape[0]):
        o[c] = x[c] - y[c] + z[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _add_add(o, x, y, z):
    for c in range(o.shape[0]):
        o[c] = x[c] + y[c] + z[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _sub_sub(o, x, y, z):
    for c in range(o.shape[0]):
        o[c] = x[c] - y[c] - z[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _copy(o, x):
    for c in range(o.shape[0]):
        o[c] = x[c]


@numba.njit(cache=True, nogil=True, inline="always")
def _neg(o, x):
    for c in range(o.shape[0]):
        o[c] = -x[c]


@numba.njit(cache=True, nogil=True)
def winograd_input(X, V, ph, pw, th, tw):
    """V[a·4 + b, t] = (Bᵀ d B)[a, b] of the 4×4 tile d of X[i, :] padded by (ph, pw)."""
    n, C, H, W = X.shape
    Wp = 2 * tw + 2
    buf = np.zeros((2 * th + 2, Wp * C), V.dtype)        # one padded sample, channels last
    r = np.empty((4, Wp * C), V.dtype)
    for i in range(n):
        for c in range(C):                               # reads X in memory order (prefetch-friendly)
            for y in range(H):
                for x in range(W):
                    buf[y + ph, (x + pw) * C + c] = X[i, c, y, x]
        for ty in range(th):
            b0, b1, b2, b3 = buf[2 * ty], buf[2 * ty + 1], buf[2 * ty + 2], buf[2 * ty + 3]
            _sub(r[0], b0, b2)                           # Bᵀ d: rows
            _add(r[1], b1, b2)
            _sub(r[2], b2, b1)
            _sub(r[3], b1, b3)
            t0 = (i * th + ty) * tw
            for a in range(4):                           # (Bᵀ d) B: columns
                for tx in range(tw):
                    x = 2 * tx * C
                    c0, c1, c2, c3 = r[a, x:x + C], r[a, x + C:x + 2 * C], r[a, x + 2 * C:x + 3 * C], r[a, x + 3 * C:x + 4 * C]
                    _sub(V[4 * a, t0 + tx], c0, c2)
                    _add(V[4 * a + 1, t0 + tx], c1, c2)
                    _sub(V[4 * a + 2, t0 + tx], c2, c1)
                    _sub(V[4 * a + 3, t0 + tx], c1, c3)


@numba.njit(cache=True, nogil=True)
def winograd_output(M, Y):
    """Y[i, 2·ty + r, 2·tx + s] = (Aᵀ M_t A)[r, s] (M already holds the bias)."""
    n, th, tw, O = Y.shape[0], Y.shape[1] // 2, Y.shape[2] // 2, Y.shape[3]
    S = np.empty((2, 4, tw, O), M.dtype)                 # Aᵀ M of one tile row
    for i in range(n):
        for ty in range(th):
            t0 = (i * th + ty) * tw
            for b in range(4):
                for tx in range(tw):
                    t = t0 + tx
                    _add_add(S[0, b, tx], M[b, t], M[4 + b, t], M[8 + b, t])
                    _sub_sub(S[1, b, tx], M[4 + b, t], M[8 + b, t], M[12 + b, t])
            for q in range(2):
                for tx in range(tw):
                    _add_add(Y[i, 2 * ty + q, 2 * tx], S[q, 0, tx], S[q, 1, tx], S[q, 2, tx])
                    _sub_sub(Y[i, 2 * ty + q, 2 * tx + 1], S[q, 1, tx], S[q, 2, tx], S[q, 3, tx])
