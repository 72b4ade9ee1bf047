"""ReLU in one pass each way (numba): the output and a float mask together,
then G ⊙ mask. Flat, C-contiguous arrays."""
import numba


@numba.njit(cache=True, nogil=True)
def relu(X, Y, D):
    """Y = max(X, 0), D = 1 where X > 0 else 0 (NaN propagates into Y, as np.maximum)."""
    for t in range(X.shape[0]):
        x = X[t]
        if x > 0:
            Y[t] = x
            D[t] = 1
        else:
            Y[t] = x if x != x else 0
            D[t] = 0


@numba.njit(cache=True, nogil=True)
def relu_backward(G, D, dX):
    for t in range(G.shape[0]):
        dX[t] = G[t] * D[t]
