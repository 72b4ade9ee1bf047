"""Finite-difference check of a loss's backward (float64)."""
import numpy as np

from ..layers.core.gradcheck import GradcheckError, GradcheckResult, check_array


def gradcheck_loss(loss, pred, target, eps=1e-6, tol=1e-5, raise_on_fail=True) -> GradcheckResult:
    """Compare ``loss.backward()`` with central differences of ``loss.forward``
    w.r.t. ``pred`` (float64); report the worst element."""
    pred = np.array(pred, dtype=np.float64)
    if np.issubdtype(np.asarray(target).dtype, np.floating):
        target = np.asarray(target, dtype=np.float64)
    loss.forward(pred, target)
    analytic = loss.backward().copy()
    result = GradcheckResult(name=repr(loss), tol=tol)
    check_array(result, "pred", pred, analytic, lambda: loss.forward(pred, target), eps)
    loss.forward(pred, target)
    if raise_on_fail and not result.ok:
        raise GradcheckError(str(result))
    return result
