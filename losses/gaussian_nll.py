"""Negative log-likelihood of targets under Gaussians of predicted mean and variance."""
import math

import numpy as np

from .checks import check_flag, check_number
from .loss import Loss, register


def _var_shape(mean_shape, var_shape):
    """The shape var broadcasts as (PyTorch's rules): mean's own, mean's without the
    last axis (one variance per sample: a trailing axis of 1 is added), or mean's with
    exactly one axis of size 1; None if none fits."""
    if var_shape == mean_shape:
        return var_shape
    if var_shape == mean_shape[:-1]:
        return var_shape + (1,)
    if len(var_shape) == len(mean_shape) and sum(v for m, v in zip(mean_shape, var_shape) if m != v) == 1:
        return var_shape
    return None


@register
class GaussianNLL(Loss):
    """PyTorch's ``GaussianNLLLoss``: ``forward(mean, target, var)`` (PyTorch's order:
    the target sits between the two predictions) with var > 0 of mean's shape, or one
    variance per sample (mean's shape without its last axis, or with one axis of size
    1); elementwise

        ℓ = ½ (log v + (μ − t)² / v)   (+ ½ log 2π with ``full``),   v = max(var, eps)

    L = Σ ℓ / n, n = the number of elements of mean ('mean') or 1 ('sum'); 'none':
    the elements. The clamp at ``eps`` is for stability only and passes the gradient
    (PyTorch clamps without recording it):
    dL/dμ = (μ − t) / v / n, dL/dvar = ½ (1/v − (μ − t)² / v²) / n summed over the
    axes var was broadcast along; ``backward()`` returns (dL/dmean, dL/dvar).
    """

    predictions = ("mean", "var")

    def __init__(self, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction)
        self.full = check_flag("GaussianNLL", "full", full)
        self.eps = check_number("GaussianNLL", "eps", eps, 0.0)

    def forward(self, mean, target, var):
        mu, t, var = (np.asarray(a) for a in (mean, target, var))
        for name, a in (("mean", mu), ("var", var)):
            if a.dtype.kind != "f":
                raise TypeError(f"GaussianNLL: {name} must be a floating array, got dtype {a.dtype}")
        try:
            ok = np.broadcast_shapes(mu.shape, t.shape) == mu.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"GaussianNLL: target has shape {t.shape}, which does not broadcast to mean's {mu.shape}")
        shape = _var_shape(mu.shape, var.shape)
        if shape is None:
            raise ValueError(f"GaussianNLL: var has shape {var.shape}; for mean {mu.shape} it must be {mu.shape}, "
                             f"{mu.shape[:-1]} or {mu.shape} with one axis of size 1")
        if var.size and var.min() < 0:
            raise ValueError(f"GaussianNLL: var must be >= 0, got min {var.min():.4g}")
        v = np.maximum(var.reshape(shape), self.eps).astype(mu.dtype, copy=False)
        D = mu - t.astype(mu.dtype, copy=False)
        Q = D * D
        Q /= v                                          # (μ − t)² / v
        per = np.log(v) + Q
        if self.full:
            per += math.log(2 * math.pi)
        per *= 0.5
        self._cache = (D, v, Q, var.shape)
        self._s = self._scale(per.size)
        return self._reduce(per)

    def backward(self):
        D, v, Q, var_shape = self._cached("_cache")
        dmu = D / v
        dvar = 1.0 - Q
        dvar /= v
        dvar *= 0.5 * self._s
        if dvar.shape != v.shape:                        # sum over the axes var was broadcast along
            axes = tuple(i for i, (a, b) in enumerate(zip(dvar.shape, v.shape)) if b == 1 and a != 1)
            dvar = dvar.sum(axis=axes, keepdims=True)
        if self._s != 1.0:
            dmu *= self._s
        return dmu, dvar.reshape(var_shape)

    def extra_repr(self):
        parts = ["full=True"] if self.full else []
        parts += [f"eps={self.eps}"] if self.eps != 1e-6 else []
        return ", ".join(parts + ([] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]))


register(GaussianNLL, name="GaussianNLLLoss")  # PyTorch's name
