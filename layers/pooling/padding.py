"""ZeroPad2d: zeros around the last two axes (negative padding crops), as PyTorch's."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


@register
class ZeroPad2d(Layer):
    """Y = X with ``left``, ``right`` columns and ``top``, ``bottom`` rows of zeros added
    around its last two axes: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right).

    padding: an int (all four sides) or (left, right, top, bottom), PyTorch's order; a
    negative value crops that side instead. Backward: dX = G without the padded rows
    and columns (and zero where X was cropped): the adjoint of putting X into a
    bigger array of zeros is taking that part of G back. Inputs with at least 3 axes.
    """

    def __init__(self, padding):
        super().__init__()
        values = tuple(padding) if isinstance(padding, (list, tuple)) else (padding,) * 4
        if len(values) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in values):
            raise ValueError(f"ZeroPad2d: padding must be an int or a list of 4 ints (left, right, top, bottom), "
                             f"got {padding!r}")
        self.padding = tuple(int(v) for v in values)

    def _sizes(self, shape, what):
        if len(shape) < 2:
            raise self._shape_error("(N, C, H, W) or (N, ..., H, W)", what)
        left, right, top, bottom = self.padding
        out = (shape[-2] + top + bottom, shape[-1] + left + right)
        if min(out) < 1:
            raise ValueError(f"{self!r}: padding {self.padding} crops an input of size {shape[-2]}x{shape[-1]} "
                             f"to {out[0]}x{out[1]}")
        return out

    def output_shape(self, input_shape):
        return tuple(input_shape[:-2]) + self._sizes(tuple(input_shape), tuple(input_shape))

    def _windows(self, shape):
        """(slices of Y that hold X, slices of X that are kept)."""
        left, right, top, bottom = self.padding
        H, W = shape[-2:]
        ys = (slice(max(top, 0), max(top, 0) + H + min(top, 0) + min(bottom, 0)),
              slice(max(left, 0), max(left, 0) + W + min(left, 0) + min(right, 0)))
        xs = (slice(max(-top, 0), H - max(-bottom, 0)), slice(max(-left, 0), W - max(-right, 0)))
        return (Ellipsis,) + ys, (Ellipsis,) + xs

    def forward(self, X):
        if getattr(X, "ndim", 0) < 3:
            raise self._shape_error("(N, C, H, W) or (N, ..., H, W)", X)
        out = self._sizes(X.shape[1:], X)
        Y = np.zeros(X.shape[:-2] + out, X.dtype)
        ys, xs = self._windows(X.shape)
        Y[ys] = X[xs]
        self._shape = X.shape
        return Y

    def backward(self, G):
        shape = self._cached("_shape")
        want = shape[:-2] + self._sizes(shape[1:], shape)
        if getattr(G, "shape", None) != want:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {want}")
        ys, xs = self._windows(shape)
        if all(p >= 0 for p in self.padding):
            return np.ascontiguousarray(G[ys])
        dX = np.zeros(shape, G.dtype)
        dX[xs] = G[ys]
        return dX

    def extra_repr(self):
        return f"padding={self.padding}"
