"""Winograd F(2×2, 3×3) transforms (layers/winograd.py, winograd_grad.py) as
serial compiled loops: the same additions in the same order, so results are
bitwise equal to the numpy path. The input-side kernels also do the numpy
path's padding/transposing copy (reading X or dY in place, any strides).

X (n, C, H, W), V (16, n·th·tw, C), M (16, n·th·tw, O), Y (n, 2·th, 2·tw, O),
dY (n, O, Ho, Wo), dXp (n, 2·th + 2, 2·tw + 2, C); tile t = (i·th + ty)·tw + tx.
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


@numba.njit(cache=True, nogil=True)
def winograd_output_grad(G, dM, th, tw):
    """dM[a·4 + b, t] = σ_a σ_b (A dY_t Aᵀ)[a, b], dY_t the 2×2 tile of G[i] (0 past the edge)."""
    n, O, Ho, Wo = G.shape
    Wy = 2 * tw
    gs = np.zeros((2 * th, Wy, O), dM.dtype)             # one sample, channels last (0 past odd edges)
    p = np.empty((2, 2, O), dM.dtype)                    # rows 1, 2 of A dY (columns 0, 1)
    for i in range(n):
        for o in range(O):                               # reads G in memory order
            for y in range(Ho):
                for x in range(Wo):
                    gs[y, x, o] = G[i, o, y, x]
        for ty in range(th):
            g = gs[2 * ty:2 * ty + 2]
            for tx in range(tw):
                t = (i * th + ty) * tw + tx
                x = 2 * tx
                _add(p[0, 0], g[0, x], g[1, x])
                _add(p[0, 1], g[0, x + 1], g[1, x + 1])
                _sub(p[1, 0], g[0, x], g[1, x])
                _sub(p[1, 1], g[0, x + 1], g[1, x + 1])
                for a in range(4):
                    if a == 0:
                        p0, p1 = g[0, x], g[0, x + 1]
                    elif a == 3:
                        p0, p1 = g[1, x], g[1, x + 1]
                    else:
                        p0, p1 = p[a - 1, 0], p[a - 1, 1]
                    _copy(dM[4 * a, t], p0)
                    _add(dM[4 * a + 1, t], p0, p1)
                    _sub(dM[4 * a + 2, t], p0, p1)
                    _copy(dM[4 * a + 3, t], p1)


@numba.njit(cache=True, nogil=True)
def winograd_input_grad(dV, dXp):
    """dXp = overlap-add of B dV_t Bᵀ (columns, then rows; the numpy path's order)."""
    n, Hp, Wp, C = dXp.shape
    th, tw = Hp // 2 - 1, Wp // 2 - 1
    dx = dXp.reshape(n, Hp, Wp * C)
    Q = np.empty((4, Wp, C), dV.dtype)                   # B dV of one tile row, columns overlap-added
    Qf = Q.reshape(4, Wp * C)
    f = np.empty(C, dV.dtype)
    D, Dprev = np.empty(Wp * C, dV.dtype), np.empty(Wp * C, dV.dtype)
    g1, Q3prev = np.empty(Wp * C, dV.dtype), np.empty(Wp * C, dV.dtype)
    for i in range(n):
        for ty in range(th):
            t0 = (i * th + ty) * tw
            for a in range(4):
                for tx in range(tw):
                    t = t0 + tx
                    v0, v1, v2, v3 = dV[4 * a, t], dV[4 * a + 1, t], dV[4 * a + 2, t], dV[4 * a + 3, t]
                    if tx == 0:
                        _copy(Q[a, 0], v0)
                        _sub_add(Q[a, 1], v1, v2, v3)
                    else:
                        _add(Q[a, 2 * tx], v0, Q[a, 2 * tx])          # Q held e(tx − 1) there
                        _sub_add(f, v1, v2, v3)
                        _sub(Q[a, 2 * tx + 1], f, Q[a, 2 * tx + 1])   # ... and v3(tx − 1) here
                    _add_sub(Q[a, 2 * tx + 2], v1, v2, v0)            # e, completed at tx + 1
                    _copy(Q[a, 2 * tx + 3], v3)
                _neg(Q[a, 2 * tw + 1], Q[a, 2 * tw + 1])
            _add_sub(D, Qf[1], Qf[2], Qf[0])
            _sub_add(g1, Qf[1], Qf[2], Qf[3])
            if ty == 0:
                _copy(dx[i, 0], Qf[0])
                _copy(dx[i, 1], g1)
            else:
                _add(dx[i, 2 * ty], Qf[0], Dprev)
                _sub(dx[i, 2 * ty + 1], g1, Q3prev)
            _copy(Q3prev, Qf[3])
            D, Dprev = Dprev, D
        _copy(dx[i, 2 * th], Dprev)
        _neg(dx[i, 2 * th + 1], Q3prev)
