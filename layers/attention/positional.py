"""Positions added to a sequence (N, T, D): attention alone does not see the order of its
inputs, so a Transformer adds a vector per position to each step's features."""
import numpy as np

from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register


def _positive_int(owner, name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {v!r}")
    return int(v)


class _Positions(Layer):
    """Shared shape checks: input (N, T, dim) with 1 <= T <= max_len."""

    def output_shape(self, input_shape):
        if len(input_shape) != 2 or input_shape[1] != self.dim or not 1 <= input_shape[0] <= self.max_len:
            raise self._shape_error(f"(T, {self.dim}) per sample with 1 <= T <= max_len={self.max_len}",
                                    tuple(input_shape))
        return tuple(input_shape)

    def _check(self, X):
        if getattr(X, "ndim", 0) != 3 or X.shape[2] != self.dim or not 1 <= X.shape[1] <= self.max_len:
            raise self._shape_error(f"(N, T, {self.dim}) with 1 <= T <= max_len={self.max_len}", X)
        if X.dtype.kind != "f":
            raise TypeError(f"{self!r}: expected floating features, got dtype {X.dtype} (indices go through an "
                            f"Embedding first)")

    @classmethod
    def infer_args(cls, input_shape):
        return {"dim": input_shape[-1]}


@register
class SinusoidalPositionalEncoding(_Positions):
    """Y[:, t] = X[:, t] + PE[t] with the fixed table of Vaswani et al. (2017):

        PE[t, 2i] = sin(t / 10000^(2i/dim)),   PE[t, 2i+1] = cos(t / 10000^(2i/dim))

    No parameters (the table is recomputed, not saved); dX = G. Input (N, T, dim), T <= max_len.
    """

    def __init__(self, dim, max_len=5000):
        super().__init__()
        self.dim, self.max_len = _positive_int("SinusoidalPositionalEncoding", "dim", dim), \
            _positive_int("SinusoidalPositionalEncoding", "max_len", max_len)
        self._tables = {}

    def table(self, T, dtype=np.float64):
        """PE[:T] (T, dim) in ``dtype``."""
        pe = self._tables.get(np.dtype(dtype))
        if pe is None or len(pe) < T:
            pos = np.arange(max(T, len(pe) if pe is not None else 0), dtype=np.float64)[:, None]
            freq = np.exp(np.arange(0, self.dim, 2, dtype=np.float64) * (-np.log(10000.0) / self.dim))
            pe = np.zeros((len(pos), self.dim))
            pe[:, 0::2] = np.sin(pos * freq)
            pe[:, 1::2] = np.cos(pos * freq[:self.dim // 2])
            pe = self._tables[np.dtype(dtype)] = pe.astype(dtype)
        return pe[:T]

    def forward(self, X):
        self._check(X)
        self._shape = X.shape
        return X + self.table(X.shape[1], X.dtype)

    def backward(self, G):
        shape = self._cached("_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        return G

    def extra_repr(self):
        return f"dim={self.dim}, max_len={self.max_len}"


@register
class PositionalEmbedding(_Positions):
    """Y[:, t] = X[:, t] + W[t]: a learned vector per position (GPT's position embedding).

    W: (max_len, dim), initialised N(0, 1) as nn.Embedding. Input (N, T, dim), T <= max_len.
    Backward: dX = G, dW[t] += Σₙ G[n, t] (rows t >= T get nothing).
    """

    def __init__(self, max_len, dim, rng=None, dtype=np.float32):
        super().__init__()
        self.max_len = _positive_int("PositionalEmbedding", "max_len", max_len)
        self.dim = _positive_int("PositionalEmbedding", "dim", dim)
        self.add_parameter("weight", get_rng(rng).standard_normal((self.max_len, self.dim)).astype(dtype))

    def forward(self, X):
        self._check(X)
        self._shape = X.shape
        return X + self.weight.data[:X.shape[1]]

    def backward(self, G):
        shape = self._cached("_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        N, T, D = shape
        self.weight.grad[:T] += (np.ones(N, G.dtype) @ G.reshape(N, T * D)).reshape(T, D)
        return G

    def extra_repr(self):
        return f"max_len={self.max_len}, dim={self.dim}"
