"""Checking the arrays given to the Python API (``nets.fit``, ``nets.evaluate``,
``nets.predict``, ``nets.DataLoader``, ``Model.predict``) once, where they come
in, with messages that name the argument and never print the data: lists are
turned into arrays (a ragged list is refused as such), strings, Python objects
(None) and dates are refused, and so are NaN and infinite inputs (they would
otherwise surface later as a "diverged" run or NaN outputs), naming the first
bad sample."""
import numpy as np

from ..datasets.inputs import Inputs

KINDS = {"O": "Python objects (None, or mixed values)", "U": "strings", "S": "bytes", "M": "dates",
         "m": "time spans", "V": "structured records", "c": "complex numbers"}


def as_array(values, name):
    """``values`` as a numpy array (a list or tuple converted); ValueError naming ``name`` for a
    ragged list."""
    if isinstance(values, np.ndarray):
        return values
    if isinstance(values, (list, tuple)):
        try:
            return np.asarray(values)
        except ValueError:
            raise ValueError(f"{name} is a ragged list (rows of different lengths or shapes), not an array; "
                             f"give rows of equal length") from None
    if hasattr(values, "__array__") or hasattr(values, "shape"):
        return np.asarray(values)
    raise TypeError(f"{name} must be an array (or a list of rows), got {type(values).__name__}")


def check_numbers(values, name, finite=True, samples=True):
    """``values`` as a numeric array (numbers or booleans) with a leading sample axis; with
    ``finite``, NaN and inf refused naming the first bad sample. Errors name ``name``.
    The inputs of a net with several (nets.Inputs) are checked one by one."""
    if isinstance(values, Inputs):
        return Inputs([check_numbers(a, f"{name} {n!r}", finite, samples) for a, n in zip(values.arrays, values.names)],
                      values.names)
    X = as_array(values, name)
    if X.dtype.kind in KINDS:
        raise TypeError(f"{name} holds {KINDS[X.dtype.kind]} (dtype {X.dtype}); give numbers")
    if samples and X.ndim == 0:
        raise ValueError(f"{name} is a single value (a 0-d array), not samples; give an array of shape (N, ...)")
    if finite and X.dtype.kind == "f" and X.size and not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X.reshape(len(X), -1)) if X.ndim else ~np.isfinite(X))[0]
        value = X.reshape(len(X), -1)[tuple(bad)] if X.ndim else X
        raise ValueError(f"{name} holds {value} at sample {int(bad[0])}: NaN and infinite values cannot be "
                         f"trained on or predicted; remove or fill them")
    return X


def check_batch_size(batch_size, name):
    """An integer >= 1; ValueError naming ``name`` otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{name}: batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


def check_pair(data, name):
    """(X, y) of an (X, y) tuple, checked; X and y must have as many samples."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{name} must be an (X, y) tuple or a nets.DataLoader, got {type(data).__name__}"
                        + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    X = check_numbers(data[0], f"{name} X")
    y = check_numbers(data[1], f"{name} y")
    if len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} samples but y has {len(y)}")
    return X, y
