"""Upsample: nearest-neighbour and (bi)linear resampling of (N, C, L) and (N, C, H, W)."""
import math

import numpy as np

from ..core.layer import Layer
from ..core.registry import register

MODES = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}     # mode -> input ranks it takes


def _sizes(owner, name, value, cast, positive):
    """``value`` (a number, or a list/tuple of them per spatial axis) as a tuple, or None."""
    if value is None:
        return None
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    ok = values and all(not isinstance(v, bool) and isinstance(v, cast) and positive(v) for v in values)
    if not ok or len(values) > 2:
        raise ValueError(f"{owner}: {name} must be a positive number or a list of one or two, got {value!r}")
    return values


def nearest_index(n_in, n_out, scale):
    """PyTorch's nearest source index per output index (float32 arithmetic, as its CPU kernel)."""
    dst = np.arange(n_out)
    if n_out == n_in:
        return dst
    if n_out == 2 * n_in:
        return dst >> 1
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor(dst.astype(np.float32) * s).astype(np.int64), n_in - 1)


def linear_matrix(n_in, n_out, scale, align_corners):
    """(n_out, n_in) matrix of PyTorch's linear interpolation along one axis."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        s = 1.0 / scale if scale else n_in / n_out
        src = np.maximum(s * (dst + 0.5) - 0.5, 0.0)
    i0 = src.astype(np.int64)
    i1 = i0 + (i0 < n_in - 1)
    l1 = src - i0
    A, rows = np.zeros((n_out, n_in)), np.arange(n_out)
    A[rows, i0] = 1.0 - l1
    A[rows, i1] += l1              # (i1 = i0 at the last input: the weights add up to 1)
    return A


@register
class Upsample(Layer):
    """Y = resampling of X's spatial axes to ``size`` or by ``scale_factor``, as torch.nn.Upsample.

    Inputs (N, C, L) or (N, C, H, W); output size per axis = size, or ⌊in · scale_factor⌋
    (a number, or one per spatial axis). mode:

        nearest   Y[.., y, x] = X[.., i(y), j(x)],  i(y) = min(⌊y · s⌋, H − 1), s = 1/scale_factor
                  (or H/Ho when size is given); 3-d and 4-d inputs
        linear    (3-d) / bilinear (4-d): Y = A_h X A_wᵀ with the interpolation weights of each
                  axis: source x = s·(y + ½) − ½ clamped at 0 (align_corners=False) or
                  x = y·(H − 1)/(Ho − 1) (align_corners=True), weights 1 − (x − ⌊x⌋) and x − ⌊x⌋
                  on its two neighbours

    Both are linear maps applied axis by axis, Y = A_h X A_wᵀ (nearest: A has one 1 per
    row), so the VJP is dX = A_hᵀ G A_w: every source pixel collects the gradients of
    the outputs it feeds, with their weights. align_corners is for the interpolating
    modes only (None: False), as PyTorch's. No parameters.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        name = type(self).__name__
        if (size is None) == (scale_factor is None):
            raise ValueError(f"{name}: give exactly one of size and scale_factor, got size={size!r}, "
                             f"scale_factor={scale_factor!r}")
        if mode not in MODES:
            raise ValueError(f"{name}: mode must be one of {', '.join(MODES)}, got {mode!r}")
        if align_corners is not None and (mode == "nearest" or not isinstance(align_corners, bool)):
            raise ValueError(f"{name}: align_corners (true or false) is for the interpolating modes linear and "
                             f"bilinear, got align_corners={align_corners!r} with mode {mode!r}")
        self.size = _sizes(name, "size", size, (int, np.integer), lambda v: v >= 1)
        self.scale_factor = _sizes(name, "scale_factor", scale_factor, (int, float, np.integer, np.floating),
                                   lambda v: 0 < v < math.inf)
        self.mode, self.align_corners = mode, align_corners
        self._maps = {}

    def _plan(self, shape, what):
        """Per spatial axis (n_in, n_out, scale or None) for a per-sample shape (C, *spatial)."""
        if len(shape) + 1 not in MODES[self.mode]:
            ranks = " or ".join(f"(N, C{', L' if r == 3 else ', H, W'})" for r in MODES[self.mode])
            raise self._shape_error(f"{ranks} for mode {self.mode!r}", what)
        spatial = tuple(shape[1:])
        given = self.size or self.scale_factor
        if len(given) not in (1, len(spatial)):
            raise ValueError(f"{self!r}: {'size' if self.size else 'scale_factor'} has {len(given)} values for an "
                             f"input with {len(spatial)} spatial axes")
        given = given * len(spatial) if len(given) == 1 else given
        if self.size:
            return tuple((n, int(o), None) for n, o in zip(spatial, given))
        out = [(n, math.floor(n * float(s)), float(s)) for n, s in zip(spatial, given)]
        if min(o for _, o, _ in out) < 1:
            raise ValueError(f"{self!r}: scale_factor {self.scale_factor} makes an input of size {spatial} empty")
        return tuple(out)

    def output_shape(self, input_shape):
        return (input_shape[0],) + tuple(o for _, o, _ in self._plan(tuple(input_shape), tuple(input_shape)))

    def _matrices(self, plan, dtype):
        """The per-axis matrices A (n_out, n_in) and the nearest indices, cached by shape."""
        key = (plan, np.dtype(dtype))
        maps = self._maps.get(key)
        if maps is None:
            if self.mode == "nearest":
                idx = [nearest_index(*p) for p in plan]
                mats = [np.eye(n, dtype=dtype)[i] for (n, _, _), i in zip(plan, idx)]
            else:
                idx = None
                mats = [linear_matrix(*p, bool(self.align_corners)).astype(dtype) for p in plan]
            maps = self._maps = {key: (mats, idx)}
            maps = maps[key]
        return maps

    def forward(self, X):
        plan = self._plan(getattr(X, "shape", (None,))[1:], X)
        mats, idx = self._matrices(plan, X.dtype)
        self._shape, self._plan_used = X.shape, plan
        if idx is not None:                                  # nearest: a gather
            return X[..., idx[0][:, None], idx[1]] if len(idx) == 2 else X[..., idx[0]]
        return _apply(X, mats, transpose=False)

    def backward(self, G):
        shape, plan = self._cached("_shape", "_plan_used")
        want = shape[:2] + tuple(o for _, o, _ in plan)
        if getattr(G, "shape", None) != want:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {want}")
        return _apply(G, self._matrices(plan, G.dtype)[0], transpose=True)

    def extra_repr(self):
        what = f"size={self.size}" if self.size else f"scale_factor={self.scale_factor}"
        s = f"{what}, mode={self.mode!r}"
        return s + (f", align_corners={self.align_corners}" if self.align_corners is not None else "")


def _apply(X, mats, transpose):
    """A_h X A_wᵀ (3-d inputs: X A_wᵀ), or with transpose A_hᵀ X A_w: the last axis as one
    GEMM over all rows, the height axis as a product per plane."""
    Aw = mats[-1] if transpose else mats[-1].T
    Y = (X.reshape(-1, X.shape[-1]) @ Aw).reshape(X.shape[:-1] + (Aw.shape[1],))
    if len(mats) == 2:
        Y = np.matmul(mats[0].T if transpose else mats[0], Y)
    return Y
