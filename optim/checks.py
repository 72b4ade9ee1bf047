"""Argument checks shared by optimizers and schedules.

Each raises ValueError (or TypeError for a wrong kind of value) naming the
owner, the argument and the value, e.g.
``Adam: betas[1] must be in [0, 1), got 1.0``.
"""
import math
import numbers

import numpy as np


def plain(v):
    """numpy scalars and 0-d arrays (e.g. from an .npz round trip) -> Python numbers;
    lists/tuples/arrays element-wise; anything else unchanged."""
    if isinstance(v, (np.ndarray, np.generic)):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return type(v)(plain(x) for x in v)
    return v


def _number(owner, name, v):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v):
        raise ValueError(f"{owner}: {name} must be a number, got {v!r}")
    return v


def check_nonnegative(owner, **values):
    """Each value must be a finite number >= 0."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v < math.inf:
            raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {v!r}")


def check_positive(owner, **values):
    """Each value must be a finite number > 0."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 < v < math.inf:
            raise ValueError(f"{owner}: {name} must be a finite number > 0, got {v!r}")


def check_range(owner, name, v, low, high, high_open=False):
    """low <= v <= high (or < high when ``high_open``)."""
    _number(owner, name, v)
    if not (low <= v and (v < high if high_open else v <= high)):
        raise ValueError(f"{owner}: {name} must be in [{low}, {high}{')' if high_open else ']'}, got {v!r}")


def check_int(owner, name, v, minimum):
    """An integer >= minimum."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {v!r}")


AUTO = "auto"


def check_horizon(owner, name, v):
    """A schedule's length: an integer >= 1, or "auto" (the run's length, set by
    ``Schedule.set_run_length``); returns it."""
    if isinstance(v, str) and v == AUTO:
        return AUTO
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{owner}: {name} must be an integer >= 1 or 'auto' (the run's length), got {v!r}")
    return int(v)


def check_bool(owner, **values):
    for name, v in values.items():
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{owner}: {name} must be true or false, got {v!r}")


def check_betas(owner, betas):
    """A pair (beta1, beta2), each in [0, 1); returns it as a tuple of floats."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        check_range(owner, f"betas[{i}]", b, 0.0, 1.0, high_open=True)
    return (float(betas[0]), float(betas[1]))
