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
    if analytic is None:
        raise GradcheckError(f"gradcheck {result.name}: backward returned no gradient (None) for {label}, "
                             f"expected one of shape {array.shape}")
    if np.shape(analytic) != array.shape:
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


def _as_tuple(Y):
    return Y if isinstance(Y, tuple) else (Y,)


def _upstream(Ys, grad_out, seed):
    """One upstream gradient per output: ``grad_out`` (an array, or a tuple with
    None for an output that gets no gradient: zeros), else seeded normals."""
    if grad_out is None:
        rng = np.random.default_rng(seed)
        return tuple(rng.standard_normal(np.shape(Y)) for Y in Ys)
    grads = _as_tuple(grad_out)
    if len(grads) != len(Ys):
        raise GradcheckError(f"gradcheck: grad_out has {len(grads)} entries for {len(Ys)} outputs")
    return tuple(np.zeros(np.shape(Y)) if G is None else np.array(G, dtype=np.float64) for Y, G in zip(Ys, grads))


def gradcheck(layer, X, grad_out=None, eps=1e-6, tol=1e-5, seed=0, params=True, raise_on_fail=True) -> GradcheckResult:
    """Check ``layer.backward`` against finite differences, for the input and
    (if ``params``) every parameter, in float64.

    ``X`` is the input batch, or a tuple of inputs for a layer with several
    (``forward(X1, X2, ...)``, whose backward returns ``(dX1, dX2, ...)``; they
    are reported as "input 0", "input 1", ...). A layer with several outputs
    gets one upstream gradient per output (``grad_out`` may be a tuple, None
    for an output that gets no gradient: zeros are passed) and the checked
    scalar is the sum over outputs of ``sum(Y_k * R_k)``.

    The layer is converted to float64 for the check and back to its original
    dtype afterwards (its arrays are rebound, so build optimizers after).
    Random layers (dropout) see the same random stream on every forward.
    Integer inputs (indices, e.g. for Embedding) have no gradient: only the
    other inputs and the parameters are checked then.
    Returns a GradcheckResult; raises GradcheckError if it fails and
    ``raise_on_fail``.
    """
    from . import random as krandom

    dtypes = {n: p.dtype for n, p in layer.named_parameters()}
    orig_dtype = next(iter(dtypes.values()), None)
    layer.astype(np.float64)
    several = isinstance(X, tuple)
    Xs = X if several else (X,)
    indices = [np.issubdtype(np.asarray(x).dtype, np.integer) for x in Xs]
    Xs = tuple(np.array(x) if ints else np.array(x, dtype=np.float64) for x, ints in zip(Xs, indices))
    labels = [f"input {i}" for i in range(len(Xs))] if several else ["input"]
    gens = [krandom.get_rng()] + _generators(layer)
    states = [g.bit_generator.state for g in gens]

    def run():
        for g, s in zip(gens, states):
            g.bit_generator.state = s
        return _as_tuple(layer.forward(*Xs))

    try:
        Ys = run()
        Rs = _upstream(Ys, grad_out, seed)
        layer.zero_grad()
        dXs = layer.backward(*(R.copy() for R in Rs))
        if several:
            if not isinstance(dXs, tuple) or len(dXs) != len(Xs):
                raise GradcheckError(f"gradcheck {_name(layer)}: backward of {len(Xs)} inputs must return a tuple "
                                     f"of {len(Xs)} gradients, got {type(dXs).__name__}"
                                     + (f" of {len(dXs)}" if isinstance(dXs, tuple) else ""))
        else:
            dXs = (dXs,)
        analytic = [(label, x, d) for label, x, d, ints in zip(labels, Xs, dXs, indices) if not ints]
        if params:
            analytic += [(n, p.data, p.grad.copy()) for n, p in layer.named_parameters()]

        def loss():
            return float(sum(np.sum(Y * R) for Y, R in zip(run(), Rs)))

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
