"""Concatenate: inputs joined along one non-batch axis (torch.cat, Caffe's Concat)."""
import numpy as np

from ..core.registry import register
from .base import Merge


@register
class Concatenate(Merge):
    """Y = concatenate([X_1, ..., X_n], axis): PyTorch's ``torch.cat(dim=axis)``.

    ``axis`` counts the batch axis (1 = channels of NCHW images, features of
    (N, F) vectors; negative counts from the end) and may not be 0. The inputs
    must agree on every other axis. Backward splits G along ``axis`` into the
    inputs' parts: dX_i = G[..., offset_i : offset_i + size_i, ...] (views, no
    copy). No parameters. ``forward(X1, X2, ...)`` -> Y; ``backward(G)`` ->
    ``(dX1, ..., dXn)``.
    """

    def __init__(self, axis=1):
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = int(axis)

    def _axis(self, ndim):
        ax = self.axis + ndim if self.axis < 0 else self.axis
        if not 1 <= ax < ndim:
            raise ValueError(f"{self!r}: axis {self.axis} is not a non-batch axis of {ndim}-d inputs "
                             f"(axis 0 is the batch)")
        return ax

    def _join(self, shapes, per_sample):
        ndims = {len(s) for s in shapes}
        if len(ndims) != 1:
            raise self._mismatch("inputs must have the same number of axes", shapes, per_sample)
        ax = self._axis(ndims.pop() + per_sample) - per_sample
        if len({s[:ax] + s[ax + 1:] for s in shapes}) != 1:
            raise self._mismatch(f"inputs must agree on every axis but {self.axis}", shapes, per_sample)
        s = shapes[0]
        return s[:ax] + (sum(t[ax] for t in shapes),) + s[ax + 1:]

    def forward(self, *Xs):
        shape = self._check(Xs)
        ax = self._axis(len(shape))
        self._ax, self._shape = ax, shape
        self._splits, self._dtypes = np.cumsum([X.shape[ax] for X in Xs[:-1]]), [X.dtype for X in Xs]
        return np.concatenate(Xs, axis=ax)

    def backward(self, G):
        ax, shape, splits, dtypes = self._cached("_ax", "_shape", "_splits", "_dtypes")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        if not self.propagate_down:
            return None
        return self._grads_like(np.split(G, splits, axis=ax), dtypes)

    def extra_repr(self):
        return f"axis={self.axis}"
