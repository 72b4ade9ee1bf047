"""Finite-difference gradient checks (float64), in the manner of Caffe's
GradientChecker: the worst element is reported with its location.

For a random upstream gradient R, the scalar L = sum(forward(X) * R) has
dL/dX = backward(R) and dL/dparam = param.grad: a vector-Jacobian product
check, never a full Jacobian. Each element is perturbed by +-eps and

    numeric = (L(x + eps) - L(x - eps)) / (2 eps)
    error   = |analytic - numeric| / max(|analytic|, |numeric|, 1)

Points where the one-sided differences disagree (a kink such as ReLU at 0 or
a max-pool tie lies within eps) are skipped and counted.
"""
from dataclasses import dataclass

import numpy as np


class GradcheckError(AssertionError):
    """Raised when backward disagrees with finite differences."""


@dataclass
class GradcheckResult:
    """The outcome of one gradient check: the worst relative error between the
    analytic and the numeric derivative, where it occurred and both values, how
    many entries were checked and skipped (at kinks), and the tolerance."""
    name: str
    worst_error: float = 0.0
    where: str = ""
    analytic: float = 0.0
    numeric: float = 0.0
    checked: int = 0
    skipped: int = 0
    tol: float = 1e-5

    @property
    def ok(self):
        """True when the worst relative error is within ``tol`` and something was checked."""
        return self.worst_error <= self.tol and self.checked > 0

    def __str__(self):
        s = (f"gradcheck {self.name}: worst relative error {self.worst_error:.3g} at {self.where or '-'}"
             f" (analytic {self.analytic:.6g}, numeric {self.numeric:.6g}); "
             f"{self.checked} elements checked, {self.skipped} skipped near kinks; tolerance {self.tol:g}")
        if self.checked == 0:
            s += "; nothing could be checked"
        return s


def check_array(result, label, array, analytic, f, eps, kink_tol=1e-3):
    """Compare ``analytic`` with central differences of scalar ``f()`` w.r.t.
    ``array`` (perturbed in place and restored); update ``result``."""
    if analytic is None or np.shape(analytic) != array.shape:
        raise GradcheckError(f"gradcheck {result.name}: gradient for {label} has shape "
                             f"{np.shape(analytic)}, expected {array.shape}")
    f0 = f()
    flat = array.reshape(-1)  # a view: array is contiguous
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        fp = f()
        flat[i] = orig - eps
        fm = f()
        flat[i] = orig
        fwd, bwd = (fp - f0) / eps, (f0 - fm) / eps
        if abs(fwd - bwd) > kink_tol * max(1.0, abs(fwd), abs(bwd)):
            result.skipped += 1
            continue
        numeric = (fp - fm) / (2 * eps)
        a = float(analytic.reshape(-1)[i])
        err = abs(a - numeric) / max(abs(a), abs(numeric), 1.0)
        result.checked += 1
        if err > result.worst_error or not result.where:
            idx = np.unravel_index(i, array.shape)
            result.worst_error, result.analytic, result.numeric = err, a, numeric
            result.where = f"{label}[{', '.join(map(str, idx))}]"


def _name(obj):
    r = repr(obj)
    return r if "\n" not in r else type(obj).__name__


def _generators(layer, seen=None):
    """Every np.random.Generator held by the layer or its children."""
    seen = [] if seen is None else seen
    for v in vars(layer).values():
        if isinstance(v, np.random.Generator) and all(v is not s for s in seen):
            seen.append(v)
    for child in layer.children():
        _generators(child, seen)
    return seen


def gradcheck(layer, X, grad_out=None, eps=1e-6, tol=1e-5, seed=0, params=True, raise_on_fail=True) -> GradcheckResult:
    """Check ``layer.backward`` against finite differences, for the input and
    (if ``params``) every parameter, in float64.

    The layer is converted to float64 for the check and back to its original
    dtype afterwards (its arrays are rebound, so build optimizers after).
    Random layers (dropout) see the same random stream on every forward.
    Integer inputs (indices, e.g. for Embedding) have no gradient: only the
    parameters are checked then.
    Returns a GradcheckResult; raises GradcheckError if it fails and
    ``raise_on_fail``.
    """
    from . import random as krandom

    dtypes = {n: p.dtype for n, p in layer.named_parameters()}
    orig_dtype = next(iter(dtypes.values()), None)
    layer.astype(np.float64)
    indices = np.issubdtype(np.asarray(X).dtype, np.integer)
    X = np.array(X) if indices else np.array(X, dtype=np.float64)
    gens = [krandom.get_rng()] + _generators(layer)
    states = [g.bit_generator.state for g in gens]

    def run():
        for g, s in zip(gens, states):
            g.bit_generator.state = s
        return layer.forward(X)

    try:
        Y = run()
        R = (np.random.default_rng(seed).standard_normal(np.shape(Y)) if grad_out is None
             else np.array(grad_out, dtype=np.float64))
        layer.zero_grad()
        dX = layer.backward(R.copy())
        analytic = [] if indices else [("input", X, dX)]
        if params:
            analytic += [(n, p.data, p.grad.copy()) for n, p in layer.named_parameters()]

        def loss():
            return float(np.sum(run() * R))

        result = GradcheckResult(name=_name(layer), tol=tol)
        for label, array, grad in analytic:
            check_array(result, label, array, grad, loss, eps)
        run()  # leave the caches consistent with the unperturbed input
    finally:
        for g, s in zip(gens, states):
            g.bit_generator.state = s
        if orig_dtype is not None and orig_dtype != np.float64:
            layer.astype(orig_dtype)
    if raise_on_fail and not result.ok:
        raise GradcheckError(str(result))
    return result
