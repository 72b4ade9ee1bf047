"""MaxPool1d and AvgPool1d on (N, C, L): MaxPool2d / AvgPool2d on the
(N, C, 1, L) view with a (1, k) window (see conv1d.py)."""
from ..conv.conv1d import _Wrap1d, single
from .pooling import AvgPool2d, MaxPool2d
from ..core.registry import register


@register
class MaxPool1d(_Wrap1d):
    """Y[n, c, l] = max over the window X[n, c, l·s + i·d − p], i < kernel_size (stride
    defaults to kernel_size; padding is −∞), as torch.nn.MaxPool1d; G is routed to the
    first maximum of each window. MaxPool2d on the (N, C, 1, L) view."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        k = single("MaxPool1d", "kernel_size", kernel_size, 1)
        s = k if stride is None else single("MaxPool1d", "stride", stride, 1)
        p, d = single("MaxPool1d", "padding", padding, 0), single("MaxPool1d", "dilation", dilation, 1)
        try:
            self._inner = MaxPool2d((1, k), (1, s), (0, p), (1, d))
        except ValueError as e:
            raise ValueError(str(e).replace("MaxPool2d", "MaxPool1d")) from None
        self.kernel_size, self.stride, self.padding, self.dilation = k, s, p, d

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


@register
class AvgPool1d(_Wrap1d):
    """Y[n, c, l] = (1/D) Σ over the window X[n, c, l·s + i − p] (zero padding; D =
    kernel_size if ``count_include_pad``, else the window's elements inside the input),
    as torch.nn.AvgPool1d; backward spreads G / D over each window. AvgPool2d on the
    (N, C, 1, L) view."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        k = single("AvgPool1d", "kernel_size", kernel_size, 1)
        s = k if stride is None else single("AvgPool1d", "stride", stride, 1)
        p = single("AvgPool1d", "padding", padding, 0)
        try:
            self._inner = AvgPool2d((1, k), (1, s), (0, p), count_include_pad)
        except ValueError as e:
            raise ValueError(str(e).replace("AvgPool2d", "AvgPool1d")) from None
        self.kernel_size, self.stride, self.padding, self.count_include_pad = k, s, p, bool(count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
