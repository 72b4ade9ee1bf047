"""Layers that only move data: Identity, Flatten, Reshape, Permute.

Their Jacobian is a permutation of the identity, so backward just reshapes G
back to the input's shape.
"""
import numpy as np

from .core.layer import Layer
from .core.registry import register


@register
class Identity(Layer):
    """Y = X;  dX = G."""

    def forward(self, X):
        self._shape = X.shape
        return X

    def backward(self, G):
        self._cached("_shape")
        return G


class _Reshaping(Layer):
    def backward(self, G):
        return G.reshape(self._cached("_shape"))


@register
class Flatten(_Reshaping):
    """Merge axes start_dim..end_dim (batch is axis 0) into one, as torch.nn.Flatten;
    dX = G reshaped to X's shape."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def _axes(self, ndim):
        s = self.start_dim + ndim if self.start_dim < 0 else self.start_dim
        e = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        if not 0 <= s <= e < ndim:
            raise ValueError(f"{self!r}: cannot flatten axes {self.start_dim}..{self.end_dim} of a {ndim}-d input")
        return s, e

    def output_shape(self, input_shape):
        full = ("N",) + tuple(input_shape)
        s, e = self._axes(len(full))
        if s == 0:
            raise ValueError(f"{self!r}: flattening the batch axis has no per-sample shape")
        return tuple(full[1:s]) + (int(np.prod(full[s:e + 1])),) + tuple(full[e + 1:])

    def forward(self, X):
        s, e = self._axes(X.ndim)
        self._shape = X.shape
        return X.reshape(X.shape[:s] + (-1,) + X.shape[e + 1:])

    def extra_repr(self):
        return "" if (self.start_dim, self.end_dim) == (1, -1) else f"start_dim={self.start_dim}, end_dim={self.end_dim}"


@register
class Reshape(_Reshaping):
    """Reshape each sample to ``shape`` (the batch axis is kept; one entry may be -1);
    dX = G reshaped to X's shape."""

    def __init__(self, *shape):
        super().__init__()
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        if not shape or sum(1 for d in shape if d == -1) > 1 or any(not isinstance(d, (int, np.integer)) or (d < 1 and d != -1) for d in shape):
            raise ValueError(f"Reshape: shape must be positive ints with at most one -1, got {shape!r}")
        self.shape = tuple(int(d) for d in shape)

    def output_shape(self, input_shape):
        n = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.shape if d != -1]))
        if (-1 in self.shape and n % known) or (-1 not in self.shape and n != known):
            raise self._shape_error(f"(N, ...) with {known}{' times k' if -1 in self.shape else ''} elements per sample", tuple(input_shape))
        return tuple(n // known if d == -1 else d for d in self.shape)

    def forward(self, X):
        out = self.output_shape(X.shape[1:])
        self._shape = X.shape
        return X.reshape((X.shape[0],) + out)

    def extra_repr(self):
        return ", ".join(map(str, self.shape))


@register
class Permute(Layer):
    """Y = X.permute(dims) (torch.permute), the batch axis counted and kept first:
    ``Permute(0, 3, 1, 2)`` turns (N, C, H, W) into (N, W, C, H) — a CRNN reads an image's
    width as time this way (then ``Flatten(start_dim=2)`` gives (N, W, C·H)).
    dX = G permuted back (the inverse permutation); the output is a view."""

    def __init__(self, *dims):
        super().__init__()
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            dims = tuple(dims[0])
        if (not dims or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in dims)
                or sorted(dims) != list(range(len(dims))) or dims[0] != 0):
            raise ValueError(f"Permute: dims must be a permutation of 0..n-1 that keeps the batch axis 0 first, "
                             f"got {dims!r}")
        self.dims = tuple(int(d) for d in dims)
        self._inverse = tuple(int(i) for i in np.argsort(self.dims))

    def output_shape(self, input_shape):
        if len(input_shape) + 1 != len(self.dims):
            raise self._shape_error(f"{len(self.dims) - 1} axes per sample", tuple(input_shape))
        full = (None,) + tuple(input_shape)
        return tuple(full[d] for d in self.dims[1:])

    def forward(self, X):
        if getattr(X, "ndim", 0) != len(self.dims):
            raise self._shape_error(f"{len(self.dims)} axes (batch first)", X)
        self._shape = X.shape
        return X.transpose(self.dims)

    def backward(self, G):
        shape = self._cached("_shape")
        want = tuple(shape[d] for d in self.dims)
        if getattr(G, "shape", None) != want:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {want}")
        return G.transpose(self._inverse)

    def extra_repr(self):
        return ", ".join(map(str, self.dims))
