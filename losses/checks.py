"""Argument checks shared by the losses: each raises a ValueError (TypeError for
a wrong kind of value) naming the loss, the argument and the value."""
import math
import numbers

import numpy as np


def check_flag(owner, name, value):
    """A bool (true or false), as a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be true or false, got {value!r}")
    return bool(value)


def check_number(owner, name, value, low=-math.inf, strict=False):
    """A finite number, >= low (> low when ``strict``), as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < low or (strict and value == low):
        bound = "" if low == -math.inf else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{owner}: {name} must be a finite number{bound}, got {value!r}")
    return float(value)


def check_signs(owner, y, shape):
    """The labels ``y`` (1 or −1) of a pair loss, shaped ``shape``."""
    y = np.asarray(y)
    if y.shape != shape:
        raise ValueError(f"{owner}: y has shape {y.shape}, expected {shape} (one label 1 or -1 per pair)")
    if y.dtype.kind not in "iuf" or (y.size and not np.all(np.abs(y) == 1)):
        raise ValueError(f"{owner}: y must hold 1 (similar / first ranks higher) or -1, got values "
                         f"{np.unique(y)[:5].tolist() if y.dtype.kind in 'iufb' else y.dtype}")
    return y


def check_same(owner, names, arrays):
    """The float arrays ``arrays`` (named ``names``), all of one shape; returns them as arrays."""
    arrays = [np.asarray(a) for a in arrays]
    for name, a in zip(names, arrays):
        if a.dtype.kind != "f":
            raise TypeError(f"{owner}: {name} must be a floating array, got dtype {a.dtype}")
    for name, a in zip(names[1:], arrays[1:]):
        if a.shape != arrays[0].shape:
            raise ValueError(f"{owner}: {name} has shape {a.shape} but {names[0]} has shape {arrays[0].shape}; "
                             f"they must match")
    return arrays
