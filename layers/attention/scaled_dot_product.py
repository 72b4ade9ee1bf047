"""Scaled dot-product attention over heads, and its vector-Jacobian product: the
computation inside MultiheadAttention, on (N, h, T, d) views of the projections.

    S = Q Kᵀ / √d + B        (N, h, T, S)   B: −inf where a key is masked, else 0
    A = softmax(S)           row softmax over the keys
    Ã = A ⊙ M                M: inverted-dropout mask (1 without dropout)
    O = Ã V                  (N, h, T, d)

Backward, G = dL/dO (no Jacobian: the softmax's diag(a) − a aᵀ is applied row by row):

    dṼ = Ãᵀ G,   dÃ = G Vᵀ,   dA = dÃ ⊙ M
    dS = A ⊙ (dA − rowsum(dA ⊙ A))
    dQ = dS K / √d,   dK = dSᵀ Q / √d

Memory kept for backward: A (and M with dropout), N·h·T·S numbers each; Q, K, V are
views of the projection the caller keeps.
"""
import numpy as np


def heads(P, num_heads):
    """(N, T, E) -> a (N, h, T, d) view (no copy)."""
    N, T, E = P.shape
    return P.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)


def attend(q, k, bias, scale):
    """A = softmax(scale · q kᵀ + bias), (N, h, T, S)."""
    qs = q * q.dtype.type(scale)                         # (N, h, T, d): fewer numbers than the scores
    A = np.matmul(qs, k.transpose(0, 1, 3, 2))
    if bias is not None:
        A += bias
    A -= A.max(axis=3, keepdims=True)
    np.exp(A, out=A)
    A /= A.sum(axis=3, keepdims=True)
    return A


def attend_backward(G, q, k, v, A, M, scale, dq, dk, dv):
    """Write dQ, dK, dV into the (N, h, ·, d) views ``dq``, ``dk``, ``dv`` for G = dL/dO."""
    Ad = A if M is None else A * M
    np.matmul(Ad.transpose(0, 1, 3, 2), G, out=dv)
    dS = np.matmul(G, v.transpose(0, 1, 3, 2))          # dÃ
    if M is not None:
        dS *= M
    dS -= np.einsum("nhts,nhts->nht", dS, A)[..., None]
    dS *= A
    dS *= dS.dtype.type(scale)
    np.matmul(dS, k, out=dq)
    np.matmul(dS.transpose(0, 1, 3, 2), q, out=dk)
