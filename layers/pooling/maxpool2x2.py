"""MaxPool2d's compiled 2x2, stride-2 path (numba backend): one pass each way,
in the input's memory order.

A convolution returns a channel-major NCHW view ((C, N, H, W) memory), and the
ReLU after it keeps that layout. Walking such an input in (n, c) order jumps
between planes on every window, and the 4-d kernel reads it through general
strides: LeNet's first pool took 0.49 ms forward. Here an input that is
C-contiguous in (N, C) or (C, N) plane order is seen as (B, H, W) planes and
pooled plane by plane; the output (and dX in backward) keeps that plane order,
so the next convolution again reads channel-major data without a copy. Other
layouts use the 4-d kernel. Winners (2·row + col of each window's maximum,
uint8) are kept in the output's memory order; the tie rule is the numpy path's
(layers/pooling/pooling.py), so results are bitwise equal.
"""
import numpy as np

from ..kernels import kernel
from ..runtime.scratch import recycled

ORDERS = ((0, 1, 2, 3), (1, 0, 2, 3))  # planes in (N, C) order, in (C, N) order (each its own inverse)


def planes(a):
    """(axis order, ``a.transpose(order)`` as C-contiguous (B, H, W) planes), or None."""
    for order in ORDERS:
        t = a.transpose(order)
        if t.flags.c_contiguous:
            return order, t.reshape((-1,) + a.shape[2:])
    return None


def forward(layer, X, out_hw):
    """Y (N, C, Ho, Wo) and the winners record for ``backward``."""
    N, C = X.shape[:2]
    p = planes(X)
    if p is None:
        Y = recycled(layer, "Y", X.dtype, shape=(N, C) + out_hw)
        arg = layer._buffer("arg", Y, np.uint8)
        kernel("maxpool2x2")(X, Y, arg)
        return Y, (None, arg)
    order, X3 = p
    Ym = recycled(layer, "Y", X.dtype, shape=((N, C) if order[0] == 0 else (C, N)) + out_hw)
    arg = layer._buffer("arg", Ym, np.uint8)
    kernel("maxpool2x2_planes")(X3, Ym.reshape((-1,) + out_hw), arg.reshape((-1,) + out_hw))
    return Ym.transpose(order), (order, arg)


def backward(layer, G, X, winners, out_hw):
    """dX (X's shape and layout): each G to its window's winner, 0 elsewhere."""
    order, arg = winners
    dtype = np.result_type(G.dtype, X.dtype)
    exact = X.shape[2:] == (2 * out_hw[0], 2 * out_hw[1])
    dX = recycled(layer, "dX", dtype, like=X, zero=not exact)  # X's layout, as the numpy path
    if order is None:
        kernel("maxpool2x2_backward")(G, arg, dX)
        return dX
    Gm = G.transpose(order)
    if not Gm.flags.c_contiguous:
        Gm = np.ascontiguousarray(Gm)
    dXm = dX.transpose(order)       # C-contiguous: X's memory order (empty_like keeps it)
    out = dXm if dXm.flags.c_contiguous else np.zeros(dXm.shape, dtype)
    kernel("maxpool2x2_planes_backward")(Gm.reshape((-1,) + out_hw), arg.reshape((-1,) + out_hw),
                                         out.reshape((-1,) + X.shape[2:]))
    if out is not dXm:
        dXm[...] = out
    return dX
