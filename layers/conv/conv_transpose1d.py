"""1-d transposed convolution on (N, C, L): ConvTranspose2d on a height-1 image."""
import numpy as np

from ..core.random import get_rng
from ..core.registry import register
from .conv1d import _ParamWrap1d, single
from .conv_transpose import ConvTranspose2d


@register
class ConvTranspose1d(_ParamWrap1d):
    """Y[n, o, l·s − p + i·d] += Σ_{c in group(o)} W[c, o', i] · X[n, c, l]   (+ b[o]), as PyTorch's.

    The adjoint of Conv1d. X: (N, in_channels, L) -> Y: (N, out_channels, Lo),
    Lo = (L − 1)·s − 2p + d·(k − 1) + output_padding + 1; output_padding must be
    smaller than the stride or the dilation. W: (in_channels, out_channels / groups,
    kernel_size), b: (out_channels,); init U(−k, k), k = 1/sqrt(out_channels / groups ·
    kernel_size). Forward (cols = W₂ᵀ X, Y = col2im(cols) + b) and backward
    (dX = W₂ im2col(G), dW += X im2col(G)ᵀ, db += Σ G) are ConvTranspose2d's on
    the (N, C, 1, L) view, which reads and writes this layer's weight and gradient
    through (C, O/g, 1, k) views.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, rng=None, dtype=np.float32):
        super().__init__()
        name = type(self).__name__
        k = single(name, "kernel_size", kernel_size, 1)
        s, p = single(name, "stride", stride, 1), single(name, "padding", padding, 0)
        op, d = single(name, "output_padding", output_padding, 0), single(name, "dilation", dilation, 1)
        try:
            self._inner = ConvTranspose2d(in_channels, out_channels, (1, k), (1, s), (0, p), (0, op), groups, bias,
                                          (1, d), rng=get_rng(rng), dtype=dtype)
        except ValueError as e:
            text = str(e).replace("ConvTranspose2d", name)
            raise ValueError(text.replace(f"(0, {op})", str(op)).replace(f"(1, {s})", str(s))
                             .replace(f"(1, {d})", str(d))) from None
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation = k, s, p, op, d
        self._own_parameters(bias)

    @classmethod
    def infer_args(cls, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{cls.__name__}: expected a per-sample input shape (C, L), got {tuple(input_shape)}")
        return {"in_channels": input_shape[0]}

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        for name, default in (("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1), ("groups", 1)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s + ("" if self.bias is not None else ", bias=False")
