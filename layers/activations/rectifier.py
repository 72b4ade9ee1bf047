"""Piecewise-linear and exponential rectifiers: ReLU, LeakyReLU, ELU.

Each caches the local derivative D = dY/dX (elementwise) and backward returns
dX = G ⊙ D: the Jacobian is diagonal, so its vector product is elementwise.
"""
import numpy as np

from ..kernels import kernel
from ..core.layer import Layer
from ..core.registry import register
from ..runtime.scratch import recycled


class _Elementwise(Layer):
    """Shared backward of elementwise layers that cache D = dY/dX in ``_D``."""

    def backward(self, G):
        return G * self._matching(G, "_D")

    def _matching(self, G, name):
        """The cached array ``name``, checked to have the shape of ``G``."""
        A = self._cached(name)
        if G.shape != A.shape:
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {A.shape}")
        return A


@register
class ReLU(_Elementwise):
    """Y = max(X, 0);  dX = G ⊙ D with D = [X > 0] as a float mask.

    Measured (PERF-NOTES): ``np.maximum(X, zeros)`` with a kept zeros array is
    3-4x faster than ``np.maximum(X, 0)``, and G times a float mask 2x faster
    than times a bool mask. The mask is ``Y > 0`` written as floats (one pass) into
    a buffer reused while shapes repeat. On the numba backend one compiled pass
    writes Y and a one-byte mask together (a quarter of the mask's traffic).
    """

    def __init__(self):
        super().__init__()
        self._zeros = np.zeros(0, np.float32)
        self._mask = np.zeros(0, np.float32)
        self._layout = None   # X's strides when the mask was made

    def forward(self, X):
        fast = kernel("relu") if X.dtype.kind == "f" else None
        flat = dense(X) if fast is not None else None
        D = self._mask
        if flat is not None:   # one compiled pass, a one-byte mask (relu_kernels.py)
            if D.shape != X.shape or D.dtype != np.uint8 or self._layout != X.strides:
                D = self._new_mask(X, np.uint8)
            Y = recycled(self, "Y", X.dtype, like=X)
            fast(flat, dense(Y), dense(D))
        else:
            if D.shape != X.shape or D.dtype != X.dtype or D.strides != X.strides:
                D = self._new_mask(X, X.dtype if X.dtype.kind == "f" else np.float64)
            z = self._zeros
            if z.shape != X.shape or z.dtype != X.dtype or z.strides != X.strides:
                z = self._zeros = np.zeros_like(X)  # np.maximum(X, zeros) beats np.maximum(X, 0)
            Y = np.maximum(X, z, out=recycled(self, "Y", X.dtype, like=X))
            np.greater(Y, 0, out=D)                # 1.0 where X > 0, else 0.0 (3x faster than sign here)
        self._D, self._xdtype = D, X.dtype
        return Y

    def _new_mask(self, X, dtype):
        """A mask buffer in X's memory layout (same-layout operands are fast; X may be a
        channel-major conv output), kept while shapes and layouts repeat."""
        self._mask, self._layout = np.empty_like(X, dtype=dtype), X.strides
        return self._mask

    def backward(self, G):
        D = self._matching(G, "_D")
        if D.dtype == np.uint8 and G.dtype == self._xdtype and G.strides == self._layout:
            fast, flat = kernel("relu_backward"), dense(G)   # G laid out as X: one compiled pass
            if fast is not None and flat is not None:
                dX = recycled(self, "dX", G.dtype, like=G)
                fast(flat, dense(D), dense(dX), *_ZERO_ONE[G.dtype.char])
                return dX
        dtype = np.result_type(G.dtype, self._xdtype if D.dtype == np.uint8 else D.dtype)  # as a float mask
        return np.multiply(G, D, out=recycled(self, "dX", dtype, like=G), dtype=dtype)


_ZERO_ONE = {c: (np.zeros((), c)[()], np.ones((), c)[()]) for c in np.typecodes["Float"]}


def dense(a):
    """A flat view of ``a`` in memory order when it fills one contiguous block
    (in any axis order, e.g. a transposed view), else None."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    t = a.transpose(np.argsort(a.strides)[::-1])
    return t.reshape(-1) if t.flags.c_contiguous else None


@register
class LeakyReLU(_Elementwise):
    """Y = X if X > 0 else a·X;  dX = G ⊙ (1 if X > 0 else a), a = negative_slope."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, X):
        one, a = np.ones((), X.dtype), np.asarray(self.negative_slope, X.dtype)
        self._D = np.where(X > 0, one, a)
        return X * self._D

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


@register
class ELU(_Elementwise):
    """Y = X if X > 0 else α(e^X − 1);  dX = G ⊙ (1 if X > 0 else α e^X)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, X):
        e = np.exp(np.minimum(X, 0))  # no overflow for large positive X
        pos = X > 0
        self._D = np.where(pos, np.ones((), X.dtype), e * self.alpha)
        e -= 1
        e *= self.alpha
        return np.where(pos, X, e)

    def extra_repr(self):
        return f"alpha={self.alpha}"


@register
class Hardtanh(_Elementwise):
    """Y = min(max(X, min_val), max_val);  dX = G ⊙ [min_val < X < max_val] (as PyTorch: zero
    at and beyond the bounds). max_val must exceed min_val."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (min_val, max_val)):
            raise ValueError(f"Hardtanh: min_val and max_val must be numbers, got {min_val!r}, {max_val!r}")
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = float(min_val), float(max_val)

    def forward(self, X):
        lo, hi = np.asarray(self.min_val, X.dtype), np.asarray(self.max_val, X.dtype)
        self._D = ((X > lo) & (X < hi)).astype(X.dtype if X.dtype.kind == "f" else np.float64)
        return np.clip(X, lo, hi)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"
