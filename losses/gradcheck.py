"""Finite-difference check of a loss's backward (float64)."""
import numpy as np

from ..layers.core.gradcheck import GradcheckError, GradcheckResult, check_array


def _as_float64(a):
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def gradcheck_loss(loss, pred, target=None, eps=1e-6, tol=1e-5, raise_on_fail=True) -> GradcheckResult:
    """Compare ``loss.backward()`` with central differences of ``loss.forward``
    w.r.t. every prediction (float64); report the worst element.

    ``pred``: the prediction, or a tuple of them for a loss with several
    (``loss.predictions`` order: ``(x1, x2)`` for MarginRanking, ``(mean, var)`` for
    GaussianNLL); ``target``: the target (None for a loss without one, TripletMargin).
    With reduction='none' the checked scalar is the sum of the per-sample values."""
    several = len(loss.predictions) > 1
    preds = [np.array(p, dtype=np.float64) for p in (pred if several else (pred,))]
    target = None if target is None else _as_float64(target)
    args = loss.call_arguments(preds, target)

    def value():
        v = loss.forward(*args)
        return float(np.sum(v)) if loss.reduction == "none" else v

    value()
    grads = loss.backward()
    grads = [np.array(g, copy=True) for g in (grads if several else (grads,))]
    result = GradcheckResult(name=repr(loss), tol=tol)
    for name, p, g in zip(loss.predictions, preds, grads):
        check_array(result, name, p, g, value, eps)
    value()        # leave the caches consistent with the unperturbed input
    if raise_on_fail and not result.ok:
        raise GradcheckError(str(result))
    return result
