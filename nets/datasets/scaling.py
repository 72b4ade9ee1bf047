"""Feature scaling with statistics from the training part only:
X' = (X − shift) / scale, for ``scale: none | standard | minmax | max``.
Several inputs (Inputs) are scaled each with its own statistics: shift and
scale are then lists, one entry per input."""
import numpy as np

from .inputs import Inputs


def fit_scaler(X, how):
    """(shift, scale) from training features: X' = (X − shift) / scale."""
    if isinstance(X, Inputs):
        fitted = [fit_scaler(a, how) for a in X.arrays]
        return [f[0] for f in fitted], [f[1] for f in fitted]
    if how == "none" or not len(X):
        return 0.0, 1.0
    flat = X.reshape(len(X), -1)
    if how == "standard":
        shift, scale = flat.mean(0, dtype=np.float64), flat.std(0, dtype=np.float64)
    elif how == "minmax":
        shift, scale = flat.min(0), flat.max(0) - flat.min(0)
    else:  # "max": divide by the largest absolute value (pixels to [0, 1])
        shift, scale = 0.0, float(max(flat.max(), -flat.min()))
    scale = np.where(np.asarray(scale) > 1e-12, scale, 1.0)
    return shift, scale


def apply_scaler(X, shift, scale):
    """(X − shift) / scale as float32 (statistics applied in float32)."""
    if isinstance(X, Inputs):
        return Inputs([apply_scaler(a, sh, sc) for a, sh, sc in zip(X.arrays, shift, scale)], X.names)
    flat = X.reshape(len(X), int(np.prod(X.shape[1:]))).astype(np.float32)
    flat -= np.asarray(shift, np.float32)
    flat /= np.asarray(scale, np.float32)
    return flat.reshape(X.shape)
