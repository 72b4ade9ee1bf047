"""Elementwise merges of inputs of one shape: Add and Multiply (Keras's and
Caffe's Eltwise SUM / PROD)."""
import numpy as np

from ..core.registry import register
from .base import Merge


class _Elementwise(Merge):
    def _join(self, shapes, per_sample):
        if len(set(shapes)) != 1:
            raise self._mismatch("inputs must have the same shape", shapes, per_sample)
        return shapes[0]

    def _grad_shape(self, G, shape):
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")


@register
class Add(_Elementwise):
    """Y = X_1 + X_2 + ... + X_n (all of one shape).

    Backward: dX_i = G for every input (the sum's Jacobian is the identity for
    each term). No parameters. ``forward(X1, X2, ...)`` -> Y; ``backward(G)``
    -> ``(dX1, ..., dXn)``. The inputs' dtypes promote as numpy's (float32 +
    float64 -> float64); each dX_i comes back in X_i's dtype.
    """

    def forward(self, *Xs):
        shape = self._check(Xs)
        Y = Xs[0] + Xs[1]
        for X in Xs[2:]:
            Y = Y + X
        self._shape, self._dtypes = shape, [X.dtype for X in Xs]
        return Y

    def backward(self, G):
        shape, dtypes = self._cached("_shape", "_dtypes")
        self._grad_shape(G, shape)
        if not self.propagate_down:
            return None
        return self._grads_like((G,) * len(dtypes), dtypes)


@register
class Multiply(_Elementwise):
    """Y = X_1 ⊙ X_2 ⊙ ... ⊙ X_n, the elementwise product (all of one shape).

    Backward: dX_i = G ⊙ Π_{j≠i} X_j (the other inputs cached by forward; no
    division, so zeros are fine). No parameters. ``forward(X1, X2, ...)`` -> Y;
    ``backward(G)`` -> ``(dX1, ..., dXn)``, each in its input's dtype.
    """

    def forward(self, *Xs):
        self._check(Xs)
        Y = Xs[0] * Xs[1]
        for X in Xs[2:]:
            Y = Y * X
        self._Xs = Xs
        return Y

    def backward(self, G):
        Xs = self._cached("_Xs")
        self._grad_shape(G, Xs[0].shape)
        if not self.propagate_down:
            return None
        if len(Xs) == 2:
            grads = (G * Xs[1], G * Xs[0])
        else:
            grads = []
            for i in range(len(Xs)):
                d = G.astype(np.result_type(G, *Xs))      # a copy: the products go into it
                for j, X in enumerate(Xs):
                    if j != i:
                        d *= X
                grads.append(d)
        return self._grads_like(grads, [X.dtype for X in Xs])
