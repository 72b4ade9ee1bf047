"""Window geometry, im2col and col2im for 2-d convolution and pooling.

Convolution uses Caffe's column layout, batched: ``cols[c, k, n, ho, wo] =
X[n, c, ho·s + i·d − p, wo·s + j·d − p]`` for kernel offset k = (i, j), i.e.
a ``(C·kh·kw, N·Ho·Wo)`` matrix whose rows follow the weight's ``(c, i, j)``
order, so the forward pass is one GEMM ``W (O, C·kh·kw) @ cols``.

Padding is never materialized: for each kernel offset only the block of
output positions whose input lies inside the image is copied (im2col) or
added back (col2im); the padded part of a reused, zero-initialized column
buffer stays zero. That is a loop over the kh·kw offsets only, each step one
whole-array copy or add with contiguous runs along the image rows.
"""
import numpy as np

from ..kernels import kernel


def pair(owner, name, value, minimum):
    """``value`` as a pair of ints >= ``minimum`` (an int means the same for both axes)."""
    v = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(v) != 2 or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < minimum for x in v):
        raise ValueError(f"{owner}: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(v[0]), int(v[1])


def channels(owner, in_channels, out_channels, groups):
    """(in_channels, out_channels, groups) as ints: positive, both channel counts divisible by groups."""
    for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{owner}: {name} must be a positive int, got {v!r}")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{owner}: in_channels ({in_channels}) and out_channels ({out_channels}) "
                         f"must both be divisible by groups ({groups})")
    return int(in_channels), int(out_channels), int(groups)


def out_size(size, kernel, stride, padding, dilation):
    """Output length along one axis (floor mode, as PyTorch)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _valid(size, out, offset, stride):
    """Outputs o in [o0, o1) whose input o·stride + offset lies in [0, size); and the first input."""
    o0 = max(0, -(offset // stride))
    o1 = max(o0, min(out, (size - 1 - offset) // stride + 1))
    return o0, o1, o0 * stride + offset


class Geometry:
    """The window placement of one layer on one input size.

    ``blocks`` lists, for each kernel offset k in scan order (row-major over
    the kernel), ``(k, out_slices, in_slices)``: the output positions whose
    window element k lies inside the (unpadded) input and the matching input
    positions. Offsets that only ever see padding are left out.
    """

    def __init__(self, in_hw, kernel, stride, padding, dilation):
        (H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = in_hw, kernel, stride, padding, dilation
        self.in_hw = (H, W)
        self.params = (kh, kw, sh, sw, ph, pw, dh, dw)  # for the compiled kernels
        self.out_hw = (out_size(H, kh, sh, ph, dh), out_size(W, kw, sw, pw, dw))
        Ho, Wo = self.out_hw
        self.kernel_size = kh * kw
        self.full = True  # every offset sees the input at every output position (no padding reached)
        self.blocks = []
        if min(self.out_hw) < 1:     # the layer refuses this; don't walk a (maybe huge) kernel first
            self.full = False
            return
        for i in range(kh):
            h0, h1, hi = _valid(H, Ho, i * dh - ph, sh)
            for j in range(kw):
                w0, w1, wi = _valid(W, Wo, j * dw - pw, sw)
                if (h0, h1, w0, w1) != (0, Ho, 0, Wo):
                    self.full = False
                if h1 > h0 and w1 > w0:
                    out = (slice(h0, h1), slice(w0, w1))
                    inp = (slice(hi, hi + sh * (h1 - h0 - 1) + 1, sh), slice(wi, wi + sw * (w1 - w0 - 1) + 1, sw))
                    self.blocks.append((i * kw + j, out, inp))

    def counts(self, dtype):
        """(Ho, Wo) array: how many window elements lie inside the input (for averages)."""
        c = np.zeros(self.out_hw, dtype)
        for _, (oh, ow), _ in self.blocks:
            c[oh, ow] += 1
        return c


def im2col(Xc, cols, geo):
    """Fill ``cols`` (C, kh·kw, N, Ho, Wo) from ``Xc`` (C, N, H, W), any strides.
    Positions in the padding are not written (the caller's buffer holds zeros there;
    the compiled kernel writes them)."""
    fast = kernel("im2col")
    C, N, H, W = Xc.shape
    if fast is not None and cols.flags.c_contiguous:
        if Xc.flags.c_contiguous:                      # channel-major (a conv or pool output)
            fast(Xc.reshape(-1), H * W, N * H * W, H, W, cols, *geo.params)
            return
        X = Xc.transpose(1, 0, 2, 3)
        if X.flags.c_contiguous:                       # NCHW (the caller's input)
            fast(X.reshape(-1), C * H * W, H * W, H, W, cols, *geo.params)
            return
    for k, (oh, ow), (ih, iw) in geo.blocks:
        np.copyto(cols[:, k, :, oh, ow], Xc[:, :, ih, iw])


def col2im(dcols, dXc, geo):
    """Add each column block of ``dcols`` (C, kh·kw, N, Ho, Wo) into ``dXc`` (C, N, H, W)
    where it came from: the adjoint of im2col (contributions of overlapping windows sum)."""
    fast = kernel("col2im")
    flat = _planes_memory(dXc) if fast is not None and dcols.flags.c_contiguous else None
    if flat is not None:   # dXc with contiguous rows, any plane strides (a chunk of a channel-major dX)
        C, N, H, W = dXc.shape
        sc, sn = (s // dXc.itemsize if n > 1 else 0 for n, s in zip(dXc.shape[:2], dXc.strides[:2]))
        fast(dcols, flat, sn, sc, H, W, *geo.params)
        return
    for k, (oh, ow), (ih, iw) in geo.blocks:
        dXc[:, :, ih, iw] += dcols[:, k, :, oh, ow]


def _planes_memory(a):
    """The memory spanned by the (C, N, H, W) array ``a``, as a flat array starting
    at its first element, when its rows are contiguous and its strides positive
    multiples of the item size; else None."""
    C, N, H, W = a.shape
    item = a.itemsize
    st = [s if n > 1 else 0 for n, s in zip(a.shape, a.strides)]   # a length-1 axis's stride is arbitrary
    if a.size == 0 or st[3] not in (0, item) or st[2] not in (0, W * item) or \
            any(s < 0 or s % item for s in st[:2]):
        return None
    span = sum((n - 1) * s for n, s in zip(a.shape, st)) // item + 1
    return np.lib.stride_tricks.as_strided(a, (span,), (item,))
