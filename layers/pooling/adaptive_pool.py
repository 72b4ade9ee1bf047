"""Average pooling to a fixed output size: GlobalAvgPool2d and AdaptiveAvgPool2d."""
import numpy as np

from ..conv.im2col import pair
from ..core.layer import Layer
from ..core.registry import register


@register
class GlobalAvgPool2d(Layer):
    """Y[n, c] = mean over (h, w) of X[n, c, h, w].

    X: (N, C, H, W) -> (N, C), or (N, C, 1, 1) with ``keepdim=True`` (as
    AdaptiveAvgPool2d(1)). Backward: dX[n, c, h, w] = G[n, c] / (H·W).
    """

    def __init__(self, keepdim=False):
        super().__init__()
        self.keepdim = bool(keepdim)

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self._shape_error("(C, H, W) per sample", tuple(input_shape))
        return (input_shape[0], 1, 1) if self.keepdim else (input_shape[0],)

    def forward(self, X):
        if getattr(X, "ndim", 0) != 4:
            raise self._shape_error("(N, C, H, W)", X)
        self._shape = X.shape
        N, C, H, W = X.shape
        Y = X.reshape(N, C, H * W).sum(axis=2) / (H * W)
        return Y.reshape(N, C, 1, 1) if self.keepdim else Y

    def backward(self, G):
        N, C, H, W = self._cached("_shape")
        expected = (N, C, 1, 1) if self.keepdim else (N, C)
        if getattr(G, "shape", None) != expected:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {expected}")
        return np.broadcast_to((G / (H * W)).reshape(N, C, 1, 1), (N, C, H, W)).copy()

    def extra_repr(self):
        return "keepdim=True" if self.keepdim else ""


def _bins(size, out):
    """(out, size) averaging matrix of PyTorch's adaptive bins:
    row i averages [⌊i·size/out⌋, ⌈(i+1)·size/out⌉)."""
    A = np.zeros((out, size))
    for i in range(out):  # a loop over output bins while building a small constant matrix
        a, b = (i * size) // out, -((-(i + 1) * size) // out)
        A[i, a:b] = 1.0 / (b - a)
    return A


@register
class AdaptiveAvgPool2d(Layer):
    """Average pooling to a fixed (Ho, Wo), as torch.nn.AdaptiveAvgPool2d.

    output_size: an int, or a pair whose entries may be None (keep that size).
    Bin i along an axis of size S covers [⌊i·S/Ho⌋, ⌈(i+1)·S/Ho⌉), so the
    pooling is separable: Y = A_h X A_wᵀ per (n, c) with the averaging
    matrices A_h (Ho, H), A_w (Wo, W). Backward: dX = A_hᵀ G A_w.
    """

    def __init__(self, output_size):
        super().__init__()
        v = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
        if len(v) != 2 or any(x is not None and (isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1)
                              for x in v):
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be a positive int or a pair of them "
                             f"(None keeps the input size), got {output_size!r}")
        self.output_size = tuple(None if x is None else int(x) for x in v)
        self._mats = {}

    def _astype_hook(self, dtype):
        self._mats = {}

    def _out_hw(self, hw):
        return tuple(s if o is None else o for s, o in zip(hw, self.output_size))

    def _matrices(self, hw, dtype):
        key = (hw, np.dtype(dtype))
        if key not in self._mats:
            out = self._out_hw(hw)
            self._mats = {key: tuple(_bins(s, o).astype(dtype) for s, o in zip(hw, out))}
        return self._mats[key]

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self._shape_error("(C, H, W) per sample", tuple(input_shape))
        return (input_shape[0],) + self._out_hw(tuple(input_shape[1:]))

    def forward(self, X):
        if getattr(X, "ndim", 0) != 4:
            raise self._shape_error("(N, C, H, W)", X)
        dtype = X.dtype if X.dtype.kind == "f" else np.float64
        Ah, Aw = self._matrices(X.shape[2:], dtype)
        self._shape = X.shape
        return (Ah @ X) @ Aw.T

    def backward(self, G):
        shape = self._cached("_shape")
        expected = shape[:2] + self._out_hw(shape[2:])
        if getattr(G, "shape", None) != expected:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {expected}")
        Ah, Aw = self._matrices(shape[2:], G.dtype)
        return (Ah.T @ G) @ Aw

    def extra_repr(self):
        return f"output_size={self.output_size}"
