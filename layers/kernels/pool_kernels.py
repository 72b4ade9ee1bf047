"""2x2, stride-2 max pooling as serial compiled loops (numba), with the numpy
path's tie rule (layers/pooling.py): the second row of a window only if its
maximum is strictly larger, then the second column only if strictly larger."""
import numba


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
    (a conv output is channel-major), so reads and writes run along rows."""
    B, Ho, Wo = Y.shape
    for b in range(B):
        for i in range(Ho):
            for j in range(Wo):
                a, c = X[b, 2 * i, 2 * j], X[b, 2 * i, 2 * j + 1]
                d, e = X[b, 2 * i + 1, 2 * j], X[b, 2 * i + 1, 2 * j + 1]
                top, bottom = _max(a, c), _max(d, e)
                if bottom > top:
                    arg[b, i, j] = 3 if e > d else 2
                else:
                    arg[b, i, j] = 1 if c > a else 0
                Y[b, i, j] = _max(top, bottom)


@numba.njit(cache=True, nogil=True)
def maxpool2x2_planes_backward(G, arg, dX):
    """maxpool2x2_backward on C-contiguous planes (G, arg: (B, Ho, Wo); dX: (B, H, W))."""
    B, Ho, Wo = G.shape
    for b in range(B):
        for i in range(Ho):
            for j in range(Wo):
                g, a = G[b, i, j], arg[b, i, j]
                z = g * 0
                dX[b, 2 * i, 2 * j] = g if a == 0 else z
                dX[b, 2 * i, 2 * j + 1] = g if a == 1 else z
                dX[b, 2 * i + 1, 2 * j] = g if a == 2 else z
                dX[b, 2 * i + 1, 2 * j + 1] = g if a == 3 else z
