"""Winograd F(2×2, 3×3) backward transforms (layers/conv/winograd_grad.py) as
serial compiled loops, with the same operations in the same order as the
numpy path (bitwise equal). Layouts and loop style as winograd_kernels.py:
dY (n, O, Ho, Wo) any strides, dM, dV (16, n·th·tw, ·), dXp (n, Hp, Wp, C).
"""
import numba
import numpy as np

from .winograd_kernels import _add, _add_sub, _copy, _neg, _sub, _sub_add


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
