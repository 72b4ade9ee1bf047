"""1-d convolution on (N, C, L), and the wrappers it shares with the 1-d pools
(pooling1d.py) and ConvTranspose1d (conv_transpose1d.py): a length-L signal is an image of height 1, so Conv2d's im2col
GEMMs and col2im, and MaxPool2d's / AvgPool2d's kernels, do the work (nothing
is copied from them). Each 1-d layer owns a private 2-d layer built with a
(1, k) kernel, (1, s) stride, (0, p) padding and (1, d) dilation, hands it
X as an (N, C, 1, L) view and returns its output as an (N, C', L') view;
backward does the same with the gradients.
"""
import numpy as np

from .conv import Conv2d
from ..core.layer import Layer
from ..core.random import get_rng
from ..core.registry import register


def single(owner, name, value, minimum):
    """An int >= minimum (or a 1-element list/tuple of one, as PyTorch accepts)."""
    v = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    return int(v)


class _Wrap1d(Layer):
    """Delegation to ``self._inner`` (a 2-d layer, deliberately not a child)."""

    def _check(self, X):
        if getattr(X, "ndim", 0) != 3:
            raise self._shape_error("(N, C, L)", X)
        return X[:, :, None, :]

    def output_shape(self, input_shape):
        if len(input_shape) != 3 - 1:
            raise self._shape_error("(C, L) per sample", tuple(input_shape))
        c, h, w = self._inner.output_shape((input_shape[0], 1, input_shape[1]))
        return (c, w)

    def forward(self, X):
        Y = self._inner.forward(self._check(X))
        self._ready = True
        return Y.reshape(Y.shape[0], Y.shape[1], Y.shape[3])

    def backward(self, G):
        self._cached("_ready")
        if getattr(G, "ndim", 0) != 3:
            raise ValueError(f"{self!r}: grad_Y must be (N, C, L), got shape {np.shape(G)}")
        dX = self._inner.backward(G[:, :, None, :])
        return None if dX is None else dX.reshape(dX.shape[0], dX.shape[1], dX.shape[3])

    def set_propagate_down(self, flag=True):
        self._inner.set_propagate_down(flag)
        return super().set_propagate_down(flag)

    def train(self, mode=True):
        self._inner.train(mode)
        return super().train(mode)

    def _astype_hook(self, dtype):
        self._inner.astype(dtype)


class _ParamWrap1d(_Wrap1d):
    """A 1-d layer with parameters over a private 2-d layer (Conv1d, ConvTranspose1d): the
    parameters are this layer's, with the 2-d layer reading and writing them through views."""
    splits_samples = True   # its inner layer does (threads.blas_threads_for)

    def splits(self, input_shape, batch, threads):
        """Whether the inner layer would split a batch of (C, L) samples between threads."""
        return self._inner.splits((input_shape[0], 1, input_shape[1]), batch, threads)

    def _own_parameters(self, bias):
        """This layer's ``weight`` (the inner one's without its height-1 axis) and ``bias``."""
        w = self._inner.weight.data
        self.add_parameter("weight", w.reshape(w.shape[:2] + w.shape[3:]))
        self.bias = None
        if bias:
            self.add_parameter("bias", self._inner.bias.data.copy())

    def _link(self):
        """Point the 2-d layer's parameters at views of this layer's (they may have been
        rebound by astype or flatten_parameters)."""
        inner, shape = self._inner, self._inner.weight.shape
        inner.weight.data = self.weight.data.reshape(shape)
        if self.bias is not None:
            inner.bias.data = self.bias.data

    def forward(self, X):
        self._link()
        return super().forward(X)

    def backward(self, G):
        self._link()
        inner = self._inner
        inner.weight.grad = self.weight.grad.reshape(inner.weight.shape)   # gradients accumulate into ours
        if self.bias is not None:
            inner.bias.grad = self.bias.grad
        return super().backward(G)


@register
class Conv1d(_ParamWrap1d):
    """Y[n, o, l] = b[o] + Σ_{c in group(o), i} W[o, c, i] · X[n, c, l·s + i·d − p]

    X: (N, in_channels, L) -> Y: (N, out_channels, Lo), Lo = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1.
    W: (out_channels, in_channels / groups, kernel_size), b: (out_channels,), as PyTorch;
    init U(−k, k), k = 1/sqrt(in_channels / groups · kernel_size). Forward and
    backward are Conv2d's on the (N, C, 1, L) view (one GEMM over im2col columns;
    dW += G colsᵀ, db += G 1, dX = col2im(Wᵀ G)); the 2-d layer reads and writes
    this layer's weight and gradient through (O, C/g, 1, k) views.
    """
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, rng=None, dtype=np.float32):
        super().__init__()
        k = single("Conv1d", "kernel_size", kernel_size, 1)
        s, p = single("Conv1d", "stride", stride, 1), single("Conv1d", "padding", padding, 0)
        d = single("Conv1d", "dilation", dilation, 1)
        try:
            self._inner = Conv2d(in_channels, out_channels, (1, k), (1, s), (0, p), (1, d), groups, bias,
                                 rng=get_rng(rng), dtype=dtype)
        except ValueError as e:
            raise ValueError(str(e).replace("Conv2d", "Conv1d")) from None
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = k, s, p, d
        self._own_parameters(bias)

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Conv1d: expected a per-sample input shape (C, L), got {tuple(input_shape)}")
        return {"in_channels": input_shape[0]}

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        for name, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s + ("" if self.bias is not None else ", bias=False")
