"""One step of the LSTM's reverse walk (layers/recurrent/lstm.py, ``_unrun``) as one serial
compiled pass (numba), with the numpy path's operation order, so the results are
bitwise equal. Gate values a = (i, f, g, o) in four H-wide blocks of each row;
``one`` is 1 in the arrays' dtype (float32 arithmetic stays float32)."""
import numba


@numba.njit(cache=True, nogil=True)
def lstm_backward_step(A, TC, Cp, dOut, dh, dc, D, one):
    """For one step t (all (N, ·) arrays; A and D (N, 4H)):

        dh += dOut;  dc += dh ⊙ (1 − tanh²c) ⊙ o
        D = [σ'(i) g dc, σ'(f) cₜ₋₁ dc, (1 − g²) i dc, σ'(o) tanh c dh],  σ'(s) = (1 − s) s
        dc ← dc ⊙ f

    dh is left holding dhₜ (the caller then overwrites it with D Wₕₕᵀ)."""
    N, H = dh.shape
    for n in range(N):
        for j in range(H):
            i, f, g, o = A[n, j], A[n, H + j], A[n, 2 * H + j], A[n, 3 * H + j]
            tc = TC[n, j]
            h = dh[n, j] + dOut[n, j]
            c = dc[n, j] + h * ((one - tc * tc) * o)
            D[n, j] = (((one - i) * i) * g) * c
            D[n, H + j] = (((one - f) * f) * Cp[n, j]) * c
            D[n, 2 * H + j] = ((one - g * g) * i) * c
            D[n, 3 * H + j] = (((one - o) * o) * tc) * h
            dh[n, j] = h
            dc[n, j] = c * f


@numba.njit(cache=True, nogil=True)
def lstm_cell_step(A, Cp, C, half):
    """Between the step's two tanh calls (layers/recurrent/lstm.py, ``_run``): A (N, 4H) holds
    tanh of the halved pre-activations; turn the i, f, o blocks into sigmoids,
    s·½ + ½, and write the cell state C = f ⊙ cₜ₋₁ + i ⊙ g (``half`` = ½ in A's dtype)."""
    N, H = C.shape
    for n in range(N):
        for j in range(H):
            i = A[n, j] * half + half
            f = A[n, H + j] * half + half
            A[n, j], A[n, H + j] = i, f
            A[n, 3 * H + j] = A[n, 3 * H + j] * half + half
            C[n, j] = f * Cp[n, j] + i * A[n, 2 * H + j]
