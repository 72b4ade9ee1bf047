"""A conformance check for losses, for the user's own test suite:

    from kubik.losses.testing import check_loss
    def test_my_loss():
        check_loss(MyLoss(), pred, target)       # raises LossCheckError naming what failed

``check_loss(loss, inputs, target)`` runs what kubik's own tests run on every
loss, on deep copies (the loss passed in is not changed); ``inputs`` is the
prediction, or a tuple of them for a loss with several (``loss.predictions``
order), ``target`` the target (None for a loss without one):

    gradcheck      float64 finite differences of every prediction, in every reduction
                   the loss accepts ('none': of the sum of the per-sample values)
    reductions     'sum' equals the sum of 'none', 'mean' is 'sum' over a count, and
                   their gradients scale alike
    per sample     'none' gives one value per sample (its first axis is the batch)
                   and a batch of 1 gives the first sample's values of the full batch
    shapes/dtype   each gradient is shaped like its prediction; float32 stays float32
    inputs kept    forward and backward leave the caller's arrays as they were
    empty batch    0 samples is a ValueError naming the loss
    no forward     backward before any forward is a clear error
"""
import copy

import numpy as np

from .gradcheck import gradcheck_loss


class LossCheckError(AssertionError):
    """A loss that breaks the Loss contract; the message lists every failed check."""


def _with(loss, reduction):
    other = copy.deepcopy(loss)
    other.reduction = reduction
    return other


def _run(loss, preds, target):
    value = loss.forward(*loss.call_arguments(preds, target))
    grads = loss.backward()
    return value, list(grads) if len(loss.predictions) > 1 else [grads]


def _cast(a, dtype):
    a = np.asarray(a)
    return a.astype(dtype) if a.dtype.kind == "f" else a.copy()


def _reductions(loss, preds, target):
    runs = {r: _run(_with(loss, r), preds, target) for r in ("mean", "sum", "none") if r in loss.reductions}
    if "none" in runs and "sum" in runs:
        if not np.isclose(np.sum(runs["none"][0]), runs["sum"][0], rtol=1e-8, atol=1e-10):
            return f"'sum' gives {runs['sum'][0]!r} but the 'none' values add up to {np.sum(runs['none'][0])!r}"
        for g, h in zip(runs["none"][1], runs["sum"][1]):
            if not np.allclose(g, h, rtol=1e-8, atol=1e-12):
                return "'none' and 'sum' give different gradients (backward after 'none' must use all-ones)"
    if "mean" in runs and "sum" in runs and runs["sum"][0] != 0 and np.isfinite(runs["mean"][0]):
        ratio = runs["mean"][0] / runs["sum"][0]
        if not ratio > 0:
            return f"'mean' ({runs['mean'][0]!r}) is not 'sum' ({runs['sum'][0]!r}) over a positive count"
        for g, h in zip(runs["mean"][1], runs["sum"][1]):
            if not np.allclose(g, h * ratio, rtol=1e-8, atol=1e-12):
                return "the 'mean' gradient is not the 'sum' gradient scaled as the values are"
    return None


def _per_sample(loss, preds, target):
    if "none" not in loss.reductions:
        return None
    none = _with(loss, "none")
    values, _ = _run(none, preds, target)
    n = len(preds[0])
    if np.ndim(values) == 0 or np.shape(values)[0] != n:
        return f"reduction='none' gives shape {np.shape(values)}, expected per-sample values with first axis {n}"
    one, _ = _run(none, [p[:1] for p in preds], None if target is None else np.asarray(target)[:1])
    if not np.allclose(one, np.asarray(values)[:1], rtol=1e-10, atol=1e-12):
        return "a batch of 1 gives other values than the same sample within the full batch"
    return None


def _shapes(loss, preds, target):
    preds32 = [_cast(p, np.float32) for p in preds]
    target32 = None if target is None else _cast(target, np.float32)
    value, grads = _run(copy.deepcopy(loss), preds32, target32)
    for name, p, g in zip(loss.predictions, preds32, grads):
        if np.shape(g) != p.shape:
            return f"the gradient of {name} has shape {np.shape(g)}, expected {p.shape}"
        if np.asarray(g).dtype != np.float32:
            return f"a float32 {name} gets a {np.asarray(g).dtype} gradient (float32 must stay float32)"
    if loss.reduction != "none" and not isinstance(value, float):
        return f"forward returns a {type(value).__name__}, expected a Python float"
    return None


def _inputs_kept(loss, preds, target):
    kept = [p.copy() for p in preds] + ([] if target is None else [np.array(target, copy=True)])
    _run(copy.deepcopy(loss), preds, target)
    now = list(preds) + ([] if target is None else [np.asarray(target)])
    if any(not np.array_equal(a, b, equal_nan=True) for a, b in zip(kept, now)):
        return "forward or backward changed the caller's arrays in place"
    return None


def _empty(loss, preds, target):
    empty = [p[:0] for p in preds]
    try:
        loss.forward(*loss.call_arguments(empty, None if target is None else np.asarray(target)[:0]))
    except ValueError as e:
        return None if type(loss).__name__ in str(e) else f"the error for an empty batch does not name the loss: {e}"
    except Exception as e:
        return f"an empty batch raises {type(e).__name__} ({e}), expected a ValueError naming the loss"
    return "an empty batch (0 samples) is accepted; it must be a ValueError naming the loss"


def _no_forward(loss):
    try:
        loss.backward()
    except (RuntimeError, ValueError, TypeError):
        return None
    except Exception as e:
        return f"backward before forward raises {type(e).__name__} ({e}), not a clear error"
    return "backward before any forward returned instead of raising"


def check_loss(loss, inputs, target=None, tol=1e-5) -> "GradcheckResult":
    """Run every check above on copies of ``loss`` with the example batch ``inputs``
    (one prediction or a tuple of them) and ``target``; raise LossCheckError listing the
    failures. Returns the float64 GradcheckResult of the loss's own reduction."""
    several = len(loss.predictions) > 1
    if several and not isinstance(inputs, (tuple, list)):
        raise ValueError(f"check_loss: {type(loss).__name__} takes {len(loss.predictions)} predictions "
                         f"({', '.join(loss.predictions)}); give inputs as a tuple")
    preds = [_cast(p, np.float64) for p in (inputs if several else (inputs,))]
    target = None if target is None else _cast(target, np.float64)
    if not preds[0].ndim or len(preds[0]) < 2:
        raise ValueError(f"check_loss: give a batch of at least 2 samples, got shape {preds[0].shape}")
    failures, result = [], None
    for reduction in loss.reductions:
        try:
            ps, t = [p.copy() for p in preds], None if target is None else target.copy()
            r = gradcheck_loss(_with(loss, reduction), tuple(ps) if several else ps[0], t, tol=tol,
                               raise_on_fail=False)
            if reduction == loss.reduction:
                result = r
            if not r.ok:
                failures.append(f"gradcheck (reduction={reduction!r}): {r}")
        except Exception as e:
            failures.append(f"gradcheck (reduction={reduction!r}): {type(e).__name__}: {e}")
    fresh = lambda: ([p.copy() for p in preds], None if target is None else target.copy())   # noqa: E731
    checks = [("reductions", lambda: _reductions(loss, *fresh())),
              ("per sample", lambda: _per_sample(loss, *fresh())),
              ("shapes/dtype", lambda: _shapes(loss, *fresh())),
              ("inputs kept", lambda: _inputs_kept(loss, *fresh())),
              ("empty batch", lambda: _empty(copy.deepcopy(loss), *fresh())),
              ("no forward", lambda: _no_forward(copy.deepcopy(loss)))]
    for name, check in checks:
        try:
            problem = check()
        except Exception as e:
            problem = f"{type(e).__name__}: {e}"
        if problem:
            failures.append(f"{name}: {problem}")
    if failures:
        raise LossCheckError(f"check_loss {type(loss).__name__}: {len(failures)} check(s) failed: "
                             + "; ".join(failures))
    return result
