"""Winograd F(2×2, 3×3) transforms (Lavin & Gray, "Fast Algorithms for
Convolutional Neural Networks", 2015) for 3×3, stride-1 convolution.

The output is cut into 2×2 tiles; tile t reads the 4×4 input tile d_t (tiles
overlap by 2). For a 3×3 filter g,

    Y_t = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d_t B) ] A,
    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]],
    G  = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]],    Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]],

so the sum over input channels becomes 16 independent GEMMs (one per ξ = (a, b)):
M[ξ] (T, O) = V[ξ] (T, C) · U[ξ] (C, O) with V = Bᵀ d B and U = G g Gᵀ,
2.25× fewer multiplies than im2col. Layout is channels last so that every pass
runs over rows of C (or whole image rows × C) contiguous floats:

    Xp (n, Hp, Wp, C) zero-padded input, Hp = 2·th + 2, Wp = 2·tw + 2
    V (16, n·th·tw, C),  U (16, C, O),  M (16, n·th·tw, O),  Y (n, 2·th, 2·tw, O)

The adjoints (backward) are in winograd_grad.py. The compiled kernels
(layers/kernels/winograd_kernels.py) do the same operations in the same order
(bitwise equal).
"""
import numpy as np

from ..kernels import kernel

_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
_K = np.kron(_G, _G)                   # vec(G g Gᵀ) = K vec(g), (16, 9)


def to_channels_last(dst, src):
    """dst (n, H, W, C) = src (n, C, H, W), 8 channels at a time: numpy copies in dst
    order, and 8-float runs reading 8 planes beat 64-float runs reading 64 (2.0 vs
    6.8 ms for 32×64×32×32 floats)."""
    for c in range(0, src.shape[1], 8):
        np.copyto(dst[..., c:c + 8], src[:, c:c + 8].transpose(0, 2, 3, 1))


def filter_transform(W):
    """U (16, C, O) = G g Gᵀ for every filter g = W[o, c] (O, C, 3, 3)."""
    O, C = W.shape[:2]
    U = W.reshape(O * C, 9) @ _K.T.astype(W.dtype)
    return np.ascontiguousarray(U.reshape(O, C, 16).transpose(2, 1, 0))


def filter_grad(dU, dtype):
    """dW (O, C, 3, 3) = Gᵀ dU G per (o, c), from dU (16, C, O) (true signs)."""
    _, C, O = dU.shape
    return (dU.transpose(2, 1, 0).reshape(O * C, 16) @ _K.astype(dtype)).reshape(O, C, 3, 3)


def input_transform(X, pad, th, tw, V, work):
    """V[a·4 + b] = (Bᵀ d B)[a, b] for every 4×4 tile d of X (n, C, H, W) zero-padded by
    pad = (ph, pw) on the top/left (and to 2·th + 2 × 2·tw + 2 in all). numpy: X is copied
    into a channels-last buffer Xp with even and odd columns apart, then the row
    transform Bᵀ d runs on whole image rows (R), then the column transform.
    ``work(name, shape, zero=None)`` gives work arrays (winograd_conv.WinogradConv._worker)."""
    fast = kernel("winograd_input")
    if fast is not None:
        fast(X, V, pad[0], pad[1], th, tw)
        return
    n, C, H, W = X.shape
    Wp, (p, q) = 2 * tw + 2, pad
    Xp = work("wXp", (n, 2 * th + 2, 2, tw + 1, C), (H, W, p, q))   # borders stay zero
    for j in (0, 1):                              # padded column 2·k + j is Xp[:, :, j, k]
        x0 = (j - q) % 2
        if x0 < W:
            cols = X[..., x0::2]
            to_channels_last(Xp[:, p:p + H, j, (x0 + q) // 2:(x0 + q) // 2 + cols.shape[-1]], cols)
    x = Xp.reshape(n, th + 1, 2, Wp * C)          # row 2·t + i is x[:, t + i // 2, i % 2]
    R = work("wR", (4, n, th, Wp * C))
    np.subtract(x[:, :th, 0], x[:, 1:, 0], out=R[0])
    np.add(x[:, :th, 1], x[:, 1:, 0], out=R[1])
    np.subtract(x[:, 1:, 0], x[:, :th, 1], out=R[2])
    np.subtract(x[:, :th, 1], x[:, 1:, 1], out=R[3])
    c = R.reshape(4, n * th, 2, tw + 1, C)        # column 2·t + j is c[:, :, j % 2, t + j // 2]
    v = V.reshape(4, 4, n * th, tw, C)            # (columns split by parity: runs of tw·C floats)
    np.subtract(c[:, :, 0, :tw], c[:, :, 0, 1:], out=v[:, 0])
    np.add(c[:, :, 1, :tw], c[:, :, 0, 1:], out=v[:, 1])
    np.subtract(c[:, :, 0, 1:], c[:, :, 1, :tw], out=v[:, 2])
    np.subtract(c[:, :, 1, :tw], c[:, :, 1, 1:], out=v[:, 3])


def output_transform(M, bias, Y):
    """Y (n, 2·th, 2·tw, O) = Aᵀ M A per tile (+ bias), from M (16, n·th·tw, O);
    M is overwritten. The bias goes into M[(1, 1)], which reaches all four outputs."""
    n, th, tw, O = Y.shape[0], Y.shape[1] // 2, Y.shape[2] // 2, Y.shape[3]
    m = M.reshape(4, 4, n, th, tw, O)
    if bias is not None:
        m[1, 1] += bias
    fast = kernel("winograd_output")
    if fast is not None:
        fast(M, Y)
        return
    m[0] += m[1]
    m[0] += m[2]
    m[1] -= m[2]
    m[1] -= m[3]                                  # m[r, b] is now (Aᵀ M)[r, b]
    s = m[:2].transpose(1, 2, 3, 0, 4, 5)         # (b, n, th, r, tw, O)
    y = Y.reshape(n, th, 2, tw, 2, O)
    np.add(s[0], s[1], out=y[:, :, :, :, 0])
    y[:, :, :, :, 0] += s[2]
    np.subtract(s[1], s[2], out=y[:, :, :, :, 1])
    y[:, :, :, :, 1] -= s[3]
