"""Reducing a sequence (N, T, F) to one vector per sample, so a recurrent
layer can end in a classifier inside Sequential: LastStep, MeanOverTime."""
import numpy as np

from ..core.layer import Layer
from ..core.registry import register


class _OverTime(Layer):
    def output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise self._shape_error("(T, F) per sample", tuple(input_shape))
        return (input_shape[1],)

    def _check(self, X):
        if getattr(X, "ndim", 0) != 3 or X.shape[1] == 0:
            raise self._shape_error("(N, T, F) with T >= 1", X)
        self._shape, self._dtype = X.shape, X.dtype


@register
class LastStep(_OverTime):
    """Y = X[:, −1]: (N, T, F) -> (N, F), the output at the final step.
    dX is zero except dX[:, −1] = G."""

    def forward(self, X):
        self._check(X)
        return X[:, -1].copy()

    def backward(self, G):
        shape = self._cached("_shape")
        if G.shape != (shape[0], shape[2]):
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {(shape[0], shape[2])}")
        dX = np.zeros(shape, self._dtype)
        dX[:, -1] = G
        return dX


@register
class MeanOverTime(_OverTime):
    """Y = (1/T) Σₜ X[:, t]: (N, T, F) -> (N, F). dX[:, t] = G / T for every t."""

    def forward(self, X):
        self._check(X)
        return X.sum(axis=1) * (1.0 / X.shape[1])

    def backward(self, G):
        N, T, F = self._cached("_shape")
        if G.shape != (N, F):
            raise ValueError(f"{self!r}: grad_Y has shape {G.shape}, expected {(N, F)}")
        dX = np.empty((N, T, F), self._dtype)
        dX[...] = (G * (1.0 / T))[:, None, :]
        return dX
