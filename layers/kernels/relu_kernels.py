"""ReLU in one pass each way (numba): the output and a one-byte mask together,
then G ⊙ mask. Flat, C-contiguous arrays.

The mask is uint8 (the numpy path keeps a float mask): a quarter of the bytes
to write forward and read back backward; dX is the numpy path's G ⊙ {1.0, 0.0}."""
import numba


@numba.njit(cache=True, nogil=True)
def relu(X, Y, D):
    """Y = max(X, 0), D = 1 where X > 0 else 0 (NaN propagates into Y, as np.maximum)."""
    for t in range(X.shape[0]):
        x = X[t]
        pos = x > 0
        Y[t] = x if pos or x != x else 0
        D[t] = 1 if pos else 0


@numba.njit(cache=True, nogil=True)
def relu_backward(G, D, dX, zero, one):
    """dX = G ⊙ (1 where D else 0); ``zero``, ``one`` in G's dtype (float32 stays float32)."""
    for t in range(G.shape[0]):
        dX[t] = G[t] * (one if D[t] != 0 else zero)
