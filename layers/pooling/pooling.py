"""Max and average pooling over 2-d windows, NCHW."""
import numpy as np

from . import maxpool2x2
from ..conv.im2col import Geometry, pair
from ..kernels import kernel
from ..core.layer import Layer
from ..core.registry import register
from ..runtime.scratch import recycled


class _Pool2d(Layer):
    """Window bookkeeping shared by MaxPool2d and AvgPool2d."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(name, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride, 1)
        self.padding = pair(name, "padding", padding, 0)
        self.dilation = pair(name, "dilation", dilation, 1)
        for p, k, d in zip(self.padding, self.kernel_size, self.dilation):
            if p > (d * (k - 1) + 1) // 2:  # PyTorch's rule: every window then touches the input
                raise ValueError(f"{name}: padding {self.padding} must be at most half the (dilated) "
                                 f"kernel size {self.kernel_size}")
        self._geo = {}
        self._buffers = {}

    def _astype_hook(self, dtype):
        self._buffers = {}

    def _geometry(self, hw):
        geo = self._geo.get(hw)
        if geo is None:
            geo = Geometry(hw, self.kernel_size, self.stride, self.padding, self.dilation)
            if min(geo.out_hw) < 1:
                raise ValueError(f"{self!r}: input of size {hw[0]}x{hw[1]} is smaller than the window "
                                 f"(with padding); output would be {geo.out_hw[0]}x{geo.out_hw[1]}")
            self._geo = {hw: geo}
        return geo

    def _check(self, X):
        if getattr(X, "ndim", 0) != 4:
            raise self._shape_error("(N, C, H, W)", X)
        return self._geometry(X.shape[2:])

    def _buffer(self, name, like, dtype=None):
        """A reused work array shaped and laid out like ``like`` (reused buffers
        spare the page faults of fresh large temporaries)."""
        dtype = like.dtype if dtype is None else np.dtype(dtype)
        key = (like.shape, like.strides, dtype)
        entry = self._buffers.get(name)
        if entry is None or entry[0] != key:
            entry = self._buffers[name] = (key, np.empty_like(like, dtype=dtype))
        return entry[1]

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self._shape_error("(C, H, W) per sample", tuple(input_shape))
        return (input_shape[0],) + self._geometry(tuple(input_shape[1:])).out_hw

    def _check_grad(self, G, X):
        expected = X.shape[:2] + self._geometry(X.shape[2:]).out_hw
        if getattr(G, "shape", None) != expected:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {expected}")
        return self._geometry(X.shape[2:])

    def _is_2x2(self):
        return self.kernel_size == (2, 2) and self.stride == (2, 2) and self.padding == (0, 0) and self.dilation == (1, 1)

    def extra_repr(self):
        s = f"kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        return s


@register
class MaxPool2d(_Pool2d):
    """Y[n, c, ho, wo] = max over the window of X (padding counts as −∞), as torch.nn.MaxPool2d.

    X: (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − d(kh − 1) − 1) / s⌋ + 1;
    stride defaults to kernel_size; windows may overlap (stride < kernel).
    Backward: each G[n, c, ho, wo] goes to the one input element that was the
    window's maximum (dX is zero elsewhere; overlapping windows add up). On a
    tie it goes to the first maximum in row-major window order, as PyTorch.

    The common 2×2, stride-2 pool takes maxima of strided slices (column
    pairs, then row pairs); other windows loop over the kernel offsets and
    remember which offset won.
    """

    def forward(self, X):
        geo = self._check(X)
        if self._is_2x2():
            Ho, Wo = geo.out_hw
            if kernel("maxpool2x2") is not None and X.dtype.kind == "f":  # one compiled pass (maxpool2x2.py)
                Y, winners = maxpool2x2.forward(self, X, (Ho, Wo))
                self._X, self._cm, self._arg, self._winners = X, None, None, winners
                return Y
            Xc = X[:, :, :2 * Ho, :2 * Wo]
            cm = self._buffer("colmax", Xc[:, :, :, 0::2])  # max of each row's column pair
            np.maximum(Xc[:, :, :, 0::2], Xc[:, :, :, 1::2], out=cm)
            self._X, self._cm, self._arg, self._winners = X, cm, None, None
            return np.maximum(cm[:, :, 0::2], cm[:, :, 1::2])
        N, C = X.shape[:2]
        Y = np.full((N, C) + geo.out_hw, -np.inf, X.dtype)
        arg = np.zeros(Y.shape, np.uint8 if geo.kernel_size <= 256 else np.int32)
        for k, (oh, ow), (ih, iw) in geo.blocks:
            y, x = Y[:, :, oh, ow], X[:, :, ih, iw]
            np.copyto(arg[:, :, oh, ow], k, where=x > y)  # strict: the first maximum wins ties
            np.maximum(y, x, out=y)
        self._X, self._cm, self._arg, self._winners = X, None, arg, None
        return Y

    def backward(self, G):
        X = self._cached("_X")
        geo = self._check_grad(G, X)
        if self._winners is not None:
            return self._backward_2x2_compiled(G, X, geo.out_hw)
        if self._arg is None:
            return self._backward_2x2(G, X, geo.out_hw)
        dX = np.zeros_like(X, dtype=np.result_type(G.dtype, X.dtype))
        for k, (oh, ow), (ih, iw) in geo.blocks:
            dX[:, :, ih, iw] += G[:, :, oh, ow] * (self._arg[:, :, oh, ow] == k)
        return dX

    def _backward_2x2_compiled(self, G, X, out_hw):
        if kernel("maxpool2x2_backward") is None:
            raise RuntimeError(f"{self!r}: forward ran on the numba backend and backward on numpy; "
                               "run forward again after set_backend")
        return maxpool2x2.backward(self, G, X, self._winners, out_hw)

    def _backward_2x2(self, G, X, out_hw):
        Ho, Wo = out_hw
        Xc, cm = X[:, :, :2 * Ho, :2 * Wo], self._cm
        dtype = np.result_type(G.dtype, X.dtype)
        dX = recycled(self, "dX", dtype, like=X, zero=X.shape[2:] != Xc.shape[2:])  # X's layout
        dXc = dX[:, :, :2 * Ho, :2 * Wo]
        # Row of the window: the second row only if its maximum is strictly larger.
        rows = self._buffer("rows", cm)  # G split between the two rows of each window
        second = self._buffer("second", G, bool)
        np.greater(cm[:, :, 1::2], cm[:, :, 0::2], out=second)
        np.multiply(G, second, out=rows[:, :, 1::2])
        np.subtract(G, rows[:, :, 1::2], out=rows[:, :, 0::2])
        # Column within that row: the second column only if strictly larger.
        right = self._buffer("right", cm, bool)
        np.greater(Xc[:, :, :, 1::2], Xc[:, :, :, 0::2], out=right)
        np.multiply(rows, right, out=dXc[:, :, :, 1::2])
        np.subtract(rows, dXc[:, :, :, 1::2], out=dXc[:, :, :, 0::2])
        return dX


@register
class AvgPool2d(_Pool2d):
    """Y[n, c, ho, wo] = (1 / D) Σ over the window of X, as torch.nn.AvgPool2d.

    X: (N, C, H, W) -> (N, C, Ho, Wo), Ho = ⌊(H + 2p − kh) / s⌋ + 1; stride
    defaults to kernel_size; padding is zeros. D = kh·kw if
    ``count_include_pad`` (PyTorch's default), else the number of window
    elements inside the input. Backward: dX[window] += G / D for every window
    (overlapping windows add up).
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def _scale(self, geo, dtype):
        if self.count_include_pad or geo.full:
            return np.asarray(1.0 / geo.kernel_size, dtype)
        return (1 / geo.counts(np.float64)).astype(dtype)

    def forward(self, X):
        geo = self._check(X)
        dtype = X.dtype if X.dtype.kind == "f" else np.float64
        Y = np.zeros((X.shape[0], X.shape[1]) + geo.out_hw, dtype)
        for _, (oh, ow), (ih, iw) in geo.blocks:
            Y[:, :, oh, ow] += X[:, :, ih, iw]
        Y *= self._scale(geo, dtype)
        self._X_shape = X.shape
        return Y

    def backward(self, G):
        shape = self._cached("_X_shape")
        geo = self._geometry(shape[2:])
        expected = shape[:2] + geo.out_hw
        if getattr(G, "shape", None) != expected:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {expected}")
        Gs = G * self._scale(geo, G.dtype)
        dX = np.zeros(shape, G.dtype)
        for _, (oh, ow), (ih, iw) in geo.blocks:
            dX[:, :, ih, iw] += Gs[:, :, oh, ow]
        return dX

    def extra_repr(self):
        return super().extra_repr() + ("" if self.count_include_pad else ", count_include_pad=False")
