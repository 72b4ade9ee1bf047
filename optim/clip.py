"""Gradient clipping by global norm and by value, as torch.nn.utils."""
import math

import numpy as np

from ..layers import Parameter

from .checks import check_nonnegative


def _grads(params, who):
    """The gradients of the trainable parameters among ``params`` (a Layer, a
    Parameter, or an iterable of Parameters / parameter-group dicts)."""
    if hasattr(params, "parameters") and not isinstance(params, Parameter):
        params = params.parameters()
    if isinstance(params, Parameter):
        params = [params]
    out = []
    for p in params:
        if isinstance(p, dict):
            out.extend(_grads(p["params"], who))
        elif isinstance(p, Parameter):
            if p.requires_grad:
                out.append(p.grad)
        else:
            raise TypeError(f"{who}: expected Parameters, got {type(p).__name__}")
    return out


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False) -> float:
    """Scale all gradients together so that their joint norm is at most max_norm,
    exactly as ``torch.nn.utils.clip_grad_norm_``::

        total = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, ...)‖ₚ        (p = norm_type; inf: max |gᵢⱼ|)
        g ← g · min(1, max_norm / (total + 1e-6))

    Frozen parameters (requires_grad False) are ignored. Returns the total norm
    before clipping, as a Python float. With ``error_if_nonfinite`` a nan/inf
    total raises ValueError (otherwise the gradients become nan, as in torch).
    """
    check_nonnegative("clip_grad_norm", max_norm=max_norm)
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        norm_type = math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be a number > 0 or inf, got {norm_type!r}")
    grads = _grads(params, "clip_grad_norm")
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    elif norm_type == 2:
        total = math.sqrt(sum(float(np.dot(f, f)) for f in (g.reshape(-1) for g in grads)))
    else:
        total = sum(float(np.sum(np.abs(g) ** norm_type)) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise ValueError(f"clip_grad_norm: the total gradient norm is {total}; "
                         "pass error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:         # also nan: the gradients become nan, as in torch
        for g in grads:
            g *= coef
    return total


def clip_grad_value(params, clip_value) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place
    (``torch.nn.utils.clip_grad_value_``); frozen parameters are ignored."""
    check_nonnegative("clip_grad_value", clip_value=clip_value)
    for g in _grads(params, "clip_grad_value"):
        np.clip(g, -clip_value, clip_value, out=g)
