"""Winograd F(2×2, 3×3) transforms (layers/winograd.py, winograd_grad.py) as
serial compiled loops: the same additions in the same order, so results are
bitwise equal to the numpy path. The input-side kernels also do the numpy
path's padding/transposing copy (reading X or dY in place, any strides).

X (n, C, H, W), V (16, n·th·tw, C), M (16, n·th·tw, O), Y (n, 2·th, 2·tw, O),
dY (n, O, Ho, Wo), dXp (n, 2·th + 2, 2·tw + 2, C); tile t = (i·th + ty)·tw + tx.
"""
import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def winograd_input(X, V, ph, pw, th, tw):
    """V[a·4 + b, t, c] = (Bᵀ d B)[a, b] of the 4×4 tile d of X[i, c] padded by (ph, pw)."""
    n, C, H, W = X.shape
    Wp = 2 * tw + 2
    row = np.zeros((4, Wp), V.dtype)
    r = np.empty((4, Wp), V.dtype)
    for i in range(n):
        for ty in range(th):
            t0 = (i * th + ty) * tw
            for c in range(C):
                for k in range(4):                       # the 4 padded input rows of this tile row
                    y = 2 * ty + k - ph
                    for x in range(Wp):
                        xx = x - pw
                        row[k, x] = X[i, c, y, xx] if 0 <= y < H and 0 <= xx < W else 0
                for x in range(Wp):                      # Bᵀ d: rows
                    r[0, x] = row[0, x] - row[2, x]
                    r[1, x] = row[1, x] + row[2, x]
                    r[2, x] = row[2, x] - row[1, x]
                    r[3, x] = row[1, x] - row[3, x]
                for a in range(4):                       # (Bᵀ d) B: columns
                    for tx in range(tw):
                        x = 2 * tx
                        V[4 * a, t0 + tx, c] = r[a, x] - r[a, x + 2]
                        V[4 * a + 1, t0 + tx, c] = r[a, x + 1] + r[a, x + 2]
                        V[4 * a + 2, t0 + tx, c] = r[a, x + 2] - r[a, x + 1]
                        V[4 * a + 3, t0 + tx, c] = r[a, x + 1] - r[a, x + 3]


@numba.njit(cache=True, nogil=True)
def winograd_output(M, Y):
    """Y[i, 2·ty + r, 2·tx + s, o] = (Aᵀ M_t A)[r, s] (M already holds the bias)."""
    n, th, tw, O = Y.shape[0], Y.shape[1] // 2, Y.shape[2] // 2, Y.shape[3]
    s = np.empty((2, 4), M.dtype)
    for i in range(n):
        for ty in range(th):
            for tx in range(tw):
                t = (i * th + ty) * tw + tx
                for o in range(O):
                    for b in range(4):
                        s[0, b] = M[b, t, o] + M[4 + b, t, o] + M[8 + b, t, o]
                        s[1, b] = M[4 + b, t, o] - M[8 + b, t, o] - M[12 + b, t, o]
                    for q in range(2):
                        Y[i, 2 * ty + q, 2 * tx, o] = s[q, 0] + s[q, 1] + s[q, 2]
                        Y[i, 2 * ty + q, 2 * tx + 1, o] = s[q, 1] - s[q, 2] - s[q, 3]


@numba.njit(cache=True, nogil=True)
def winograd_output_grad(G, dM, th, tw):
    """dM[a·4 + b, t, o] = σ_a σ_b (A dY_t Aᵀ)[a, b], dY_t the 2×2 tile of G[i, o] (0 past the edge)."""
    n, O, Ho, Wo = G.shape
    g = np.zeros((2, 2), dM.dtype)
    p = np.empty((4, 2), dM.dtype)
    for i in range(n):
        for ty in range(th):
            for tx in range(tw):
                t = (i * th + ty) * tw + tx
                for o in range(O):
                    for r in range(2):
                        for q in range(2):
                            y, x = 2 * ty + r, 2 * tx + q
                            g[r, q] = G[i, o, y, x] if y < Ho and x < Wo else 0
                    for q in range(2):
                        p[0, q] = g[0, q]
                        p[1, q] = g[0, q] + g[1, q]
                        p[2, q] = g[0, q] - g[1, q]
                        p[3, q] = g[1, q]
                    for a in range(4):
                        dM[4 * a, t, o] = p[a, 0]
                        dM[4 * a + 1, t, o] = p[a, 0] + p[a, 1]
                        dM[4 * a + 2, t, o] = p[a, 0] - p[a, 1]
                        dM[4 * a + 3, t, o] = p[a, 1]


@numba.njit(cache=True, nogil=True)
def winograd_input_grad(dV, dXp):
    """dXp = overlap-add of B dV_t Bᵀ (columns, then rows; the numpy path's order)."""
    n, Hp, Wp, C = dXp.shape
    th, tw = Hp // 2 - 1, Wp // 2 - 1
    Q = np.empty((4, Wp, C), dV.dtype)
    D = np.empty((Wp, C), dV.dtype)
    Dprev = np.empty((Wp, C), dV.dtype)
    Q3prev = np.empty((Wp, C), dV.dtype)
    for i in range(n):
        for ty in range(th):
            t0 = (i * th + ty) * tw
            for a in range(4):
                for tx in range(tw):
                    for c in range(C):
                        v0, v1 = dV[4 * a, t0 + tx, c], dV[4 * a + 1, t0 + tx, c]
                        v2, v3 = dV[4 * a + 2, t0 + tx, c], dV[4 * a + 3, t0 + tx, c]
                        e, f = v1 + v2 - v0, v1 - v2 + v3
                        if tx == 0:
                            Q[a, 0, c] = v0
                            Q[a, 1, c] = f
                        else:
                            Q[a, 2 * tx, c] = v0 + Q[a, 2 * tx, c]     # Q held e(tx − 1) there
                            Q[a, 2 * tx + 1, c] = f - Q[a, 2 * tx + 1, c]
                        Q[a, 2 * tx + 2, c] = e                      # completed at tx + 1
                        Q[a, 2 * tx + 3, c] = v3
                for c in range(C):
                    Q[a, 2 * tw + 1, c] = -Q[a, 2 * tw + 1, c]
            for x in range(Wp):
                for c in range(C):
                    q0, q1, q2, q3 = Q[0, x, c], Q[1, x, c], Q[2, x, c], Q[3, x, c]
                    D[x, c] = q1 + q2 - q0
                    g1 = q1 - q2 + q3
                    if ty == 0:
                        dXp[i, 0, x, c] = q0
                        dXp[i, 1, x, c] = g1
                    else:
                        dXp[i, 2 * ty, x, c] = q0 + Dprev[x, c]
                        dXp[i, 2 * ty + 1, x, c] = g1 - Q3prev[x, c]
                    Q3prev[x, c] = q3
            Dprev, D = D, Dprev
        for x in range(Wp):
            for c in range(C):
                dXp[i, 2 * th, x, c] = Dprev[x, c]
                dXp[i, 2 * th + 1, x, c] = -Q3prev[x, c]
