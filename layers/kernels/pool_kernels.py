"""2x2, stride-2 max pooling as serial compiled loops (numba), with the numpy
path's tie rule (layers/pooling/pooling.py): the second row of a window only if its
maximum is strictly larger, then the second column only if strictly larger."""
import numba

from .pool_vector import pool8, unpool8
from .vector import pointer

U = numba.uint64
EIGHT = U(8)


@numba.njit(cache=True, nogil=True, inline="always")
def _max(a, b):
    if a != a:               # NaN propagates, as np.maximum
        return a
    if b != b:
        return b
    return a if a >= b else b


@numba.njit(cache=True, nogil=True)
def maxpool2x2(X, Y, arg):
    """Y[n, c, i, j] = max of X's 2x2 window; arg = 2·row + col of the winner (uint8)."""
    N, C, Ho, Wo = Y.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    a, b = X[n, c, 2 * i, 2 * j], X[n, c, 2 * i, 2 * j + 1]
                    d, e = X[n, c, 2 * i + 1, 2 * j], X[n, c, 2 * i + 1, 2 * j + 1]
                    top, bottom = _max(a, b), _max(d, e)
                    if bottom > top:
                        arg[n, c, i, j] = 3 if e > d else 2
                    else:
                        arg[n, c, i, j] = 1 if b > a else 0
                    Y[n, c, i, j] = _max(top, bottom)


@numba.njit(cache=True, nogil=True)
def maxpool2x2_backward(G, arg, dX):
    """Each G goes to its window's winner; the other three get 0 (dX's part
    outside the windows is left as it is: the caller zeroes it)."""
    N, C, Ho, Wo = G.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    g, a = G[n, c, i, j], arg[n, c, i, j]
                    z = g * 0
                    dX[n, c, 2 * i, 2 * j] = g if a == 0 else z
                    dX[n, c, 2 * i, 2 * j + 1] = g if a == 1 else z
                    dX[n, c, 2 * i + 1, 2 * j] = g if a == 2 else z
                    dX[n, c, 2 * i + 1, 2 * j + 1] = g if a == 3 else z


@numba.njit(cache=True, nogil=True)
def maxpool2x2_planes(X, Y, arg):
    """maxpool2x2 on (B, H, W) / (B, Ho, Wo) C-contiguous planes: the same
    windows in memory order, whatever the (N, C) order of the planes
    (a conv output is channel-major), so reads and writes run along rows;
    eight windows at a time as vector code (``pool_vector.pool8``; 28-float
    rows: 0.135 -> 0.05 ms for LeNet's first pool). Rows of fewer than 8
    windows take the 4-d loop (one plane axis of length 1)."""
    B, Ho, Wo = Y.shape
    if Wo < 8:
        maxpool2x2(X.reshape((1,) + X.shape), Y.reshape((1,) + Y.shape), arg.reshape((1,) + arg.shape))
        return
    x, y, a = pointer(X), pointer(Y), pointer(arg)
    t, H, W = U(0), U(X.shape[1]), U(X.shape[2])
    for b in range(U(B)):
        for i in range(U(Ho)):
            r0 = (b * H + U(2) * i) * W
            j = U(0)
            while j + EIGHT <= Wo:
                pool8(x, r0 + U(2) * j, r0 + W + U(2) * j, y, t + j, a)
                j += EIGHT
            if j < Wo:      # the last windows: a block overlapping the one before (Wo >= 8;
                j = U(Wo) - EIGHT   # each window's result depends on it alone: same values)
                pool8(x, r0 + U(2) * j, r0 + W + U(2) * j, y, t + j, a)
            t += U(Wo)


@numba.njit(cache=True, nogil=True)
def maxpool2x2_planes_backward(G, arg, dX):
    """maxpool2x2_backward on C-contiguous planes (G, arg: (B, Ho, Wo); dX: (B, H, W));
    eight windows at a time as vector code (``pool_vector.unpool8``; 0.18 -> 0.04 ms)."""
    B, Ho, Wo = G.shape
    if Wo < 8:
        maxpool2x2_backward(G.reshape((1,) + G.shape), arg.reshape((1,) + arg.shape), dX.reshape((1,) + dX.shape))
        return
    g, a, dx = pointer(G), pointer(arg), pointer(dX)
    t, H, W = U(0), U(dX.shape[1]), U(dX.shape[2])
    for b in range(U(B)):
        for i in range(U(Ho)):
            r0 = (b * H + U(2) * i) * W
            j = U(0)
            while j + EIGHT <= Wo:
                unpool8(g, t + j, a, dx, r0 + U(2) * j, r0 + W + U(2) * j)
                j += EIGHT
            if j < Wo:      # overlapping last block, as forward
                j = U(Wo) - EIGHT
                unpool8(g, t + j, a, dx, r0 + U(2) * j, r0 + W + U(2) * j)
            t += U(Wo)
