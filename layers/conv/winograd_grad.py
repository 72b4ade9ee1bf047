"""Adjoints of the Winograd F(2×2, 3×3) transforms (backward; see winograd.py
for the forward maps and the layout).

With A = (Aᵀ)ᵀ and B = (Bᵀ)ᵀ, the vector-Jacobian products are

    dM_t = A dY_t Aᵀ              per 2×2 output-gradient tile dY_t,
    dU[ξ] = V[ξ]ᵀ dM[ξ],  dV[ξ] = dM[ξ] U[ξ]ᵀ      (the 16 GEMMs, in the layer),
    dX = Σ_t (B dV_t Bᵀ placed at tile t's 4×4 input window)   (overlap-add).

dM is stored as σ_a σ_b dM[a, b] with σ = (1, 1, 1, −1) (``SIGNS``): rows/columns
3 of A are (0, −1), so the stored values are plain copies instead of negations;
the layer folds the signs into U (for dV) and into dU.
"""
import numpy as np

from ..kernels import kernel
from .winograd import to_channels_last

_S = np.array([1.0, 1.0, 1.0, -1.0])
SIGNS = np.outer(_S, _S).reshape(16)   # σ_a σ_b: the sign dM[a·4 + b] is stored with


def output_grad_transform(G, th, tw, dM, work):
    """dM[a·4 + b] = σ_a σ_b (A dY Aᵀ)[a, b] for each 2×2 tile dY of G (n, O, Ho, Wo)
    (zero past an odd edge). numpy: G is copied into a channels-last buffer Gp
    (n, 2·th, 2, tw, O) with even and odd columns apart, then the row step runs on
    whole rows (P), then the columns."""
    fast = kernel("winograd_output_grad")
    if fast is not None:
        fast(G, dM, th, tw)
        return
    n, O, Ho, Wo = G.shape
    Gp = work("wG", (n, 2 * th, 2, tw, O), (Ho, Wo))   # odd edges stay zero
    for j in (0, 1):                                             # column 2·t + j is Gp[:, :, j, t]
        if j < Wo:
            cols = G[..., j::2]
            to_channels_last(Gp[:, :Ho, j, :cols.shape[-1]], cols)
    g = Gp.reshape(n, th, 2, 2 * tw * O)
    p = work("wP", (4, n, th, 2 * tw * O))
    np.copyto(p[0], g[:, :, 0])
    np.add(g[:, :, 0], g[:, :, 1], out=p[1])
    np.subtract(g[:, :, 0], g[:, :, 1], out=p[2])
    np.copyto(p[3], g[:, :, 1])
    q = p.reshape(4, n * th, 2, tw, O)                           # runs of tw·O floats
    d = dM.reshape(4, 4, n * th, tw, O)
    np.copyto(d[:, 0], q[:, :, 0])
    np.add(q[:, :, 0], q[:, :, 1], out=d[:, 1])
    np.subtract(q[:, :, 0], q[:, :, 1], out=d[:, 2])
    np.copyto(d[:, 3], q[:, :, 1])


def input_grad_transform(dV, dXp, work):
    """dXp (n, Hp, Wp, C) = overlap-add of B dV_t Bᵀ over the tiles, from dV (16, n·th·tw, C)
    (overwritten); ``work(name, shape, zero=None)`` gives work arrays
    (winograd_conv.WinogradConv._worker).
    Per axis, with q = B v: q0 = v0, q1 = v1 − v2 + v3, q2 = v1 + v2 − v0, q3 = −v3,
    and position 2k gets q0(k) + q2(k − 1), position 2k + 1 gets q1(k) + q3(k − 1)."""
    fast = kernel("winograd_input_grad")
    if fast is not None:
        fast(dV, dXp)
        return
    n, Hp, Wp, C = dXp.shape
    th, tw = Hp // 2 - 1, Wp // 2 - 1
    v = dV.reshape(4, 4, n * th, tw, C)                  # columns first (b), for all rows a at once
    e = work("wE", (4, n * th, tw, C))
    np.add(v[:, 1], v[:, 2], out=e)
    e -= v[:, 0]                                         # q2
    v[:, 1] -= v[:, 2]
    v[:, 1] += v[:, 3]                                   # q1
    Q = work("wQ", (4, n, th, Wp * C))
    q = Q.reshape(4, n * th, tw + 1, 2, C)
    np.copyto(q[:, :, 0, 0], v[:, 0, :, 0])
    np.add(v[:, 0, :, 1:], e[:, :, :-1], out=q[:, :, 1:tw, 0])
    np.copyto(q[:, :, tw, 0], e[:, :, tw - 1])
    np.copyto(q[:, :, 0, 1], v[:, 1, :, 0])
    np.subtract(v[:, 1, :, 1:], v[:, 3, :, :-1], out=q[:, :, 1:tw, 1])
    np.negative(v[:, 3, :, tw - 1], out=q[:, :, tw, 1])
    r = Q                                                # then rows (a), whole image rows at a time
    D = work("wD", (n, th, Wp * C))
    np.add(r[1], r[2], out=D)
    D -= r[0]                                            # q2
    r[1] -= r[2]
    r[1] += r[3]                                         # q1
    x = dXp.reshape(n, th + 1, 2, Wp * C)
    np.copyto(x[:, 0, 0], r[0, :, 0])
    np.add(r[0, :, 1:], D[:, :-1], out=x[:, 1:th, 0])
    np.copyto(x[:, th, 0], D[:, th - 1])
    np.copyto(x[:, 0, 1], r[1, :, 0])
    np.subtract(r[1, :, 1:], r[3, :, :-1], out=x[:, 1:th, 1])
    np.negative(r[3, :, th - 1], out=x[:, th, 1])
