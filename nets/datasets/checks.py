"""What every loaded data set must satisfy before it is split and trained
on, so that bad data is one ConfigError naming ``data`` instead of NumPy
warnings, a NaN loss (and advice to lower the learning rate) or a traceback:

    features    numbers (bool, int or float), all finite
    labels      integer class labels are 0, 1, ..., K-1 (no negatives)
    regression  float targets all finite
"""
import numpy as np

from ..config import ConfigError
from .inputs import Inputs


def _first_bad(mask):
    """Index of the first sample (row) where ``mask`` is True."""
    return int(np.argmax(mask.reshape(len(mask), -1).any(axis=1)))


def check_features(X, what="features"):
    """ConfigError unless ``X`` holds finite numbers (each input of Inputs); returns X."""
    if isinstance(X, Inputs):
        return Inputs([check_features(a, f"{what} of input {n!r}") for n, a in zip(X.names, X.arrays)], X.names)
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ConfigError(f"the {what} must be numbers, got dtype {X.dtype} (e.g. {str(X.flat[0])[:40]!r})"
                          if X.size else f"the {what} must be numbers, got dtype {X.dtype}", ("data",))
    if X.dtype.kind == "f" and X.size and not np.isfinite(X).all():
        bad = ~np.isfinite(X)
        i = _first_bad(bad)
        raise ConfigError(f"the {what} hold {int(bad.sum())} NaN or infinite value(s), the first in sample {i}; "
                          f"fill or drop them before training", ("data",))
    return X


def check_targets(y, what="targets"):
    """ConfigError unless integer labels are >= 0 and float targets finite; returns y."""
    y = np.asarray(y)
    if y.dtype.kind in "iu" and y.size and y.min() < 0:
        i = int(np.argmax(y.reshape(len(y), -1).min(axis=1) < 0))
        raise ConfigError(f"the {what} hold the class label {int(y.min())} (first in sample {i}); class labels "
                          f"must be 0, 1, ..., K-1 (e.g. map -1/1 to 0/1)", ("data",))
    if y.dtype.kind == "f" and y.size and not np.isfinite(y).all():
        i = _first_bad(~np.isfinite(y))
        raise ConfigError(f"the {what} hold NaN or infinite values (first in sample {i})", ("data",))
    if y.dtype.kind not in "biuf":
        raise ConfigError(f"the {what} must be numbers, got dtype {y.dtype}", ("data",))
    return y
