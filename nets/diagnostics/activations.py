"""Output statistics of activation layers, for diagnostics.csv.

For the output Y of an activation layer on one training batch:

    act_mean, act_std   mean and standard deviation over all elements of Y
    dead_frac           (ReLU, LeakyReLU, ELU) the fraction of units whose output is
                        <= DEAD_AT (0) for every sample of the batch: a "dead" unit
                        passes no gradient through its flat (or nearly flat) side
    saturated_frac      (Sigmoid) the fraction of elements with Y < 0.01 or Y > 0.99,
                        where σ' = Y(1 − Y) < 0.0099, under 4 % of its peak 0.25;
                        (Tanh) with |Y| > 0.99, where tanh' = 1 − Y² < 0.02 (2 % of its peak)

A unit is a feature (the last axis) of (N, F) or (N, T, F) outputs and a channel
(axis 1) of NCHW images.
"""
import numpy as np

from ... import layers

DEAD_AT = 0.0
SATURATED_AT = 0.01       # Sigmoid: Y within 0.01 of 0 or 1; Tanh: within 0.01 of ±1

_RELU_LIKE = (layers.ReLU, layers.LeakyReLU, layers.ELU)
_SMOOTH = (layers.Sigmoid, layers.Tanh, layers.Softplus, layers.GELU)


def is_activation(layer):
    """Whether diagnostics record the outputs of ``layer``."""
    return isinstance(layer, _RELU_LIKE + _SMOOTH)


def _unit_axes(Y):
    """The axes a unit's statistics reduce over (all but the unit axis)."""
    unit = 1 if Y.ndim == 4 else Y.ndim - 1
    return tuple(a for a in range(Y.ndim) if a != unit)


def activation_stats(layer, Y):
    """{metric: value} for the output ``Y`` of activation ``layer`` (see the module doc);
    sums in float64, the deviations in Y's own dtype."""
    Y = np.asarray(Y)
    flat = Y.reshape(-1)
    n = flat.size
    mean = float(flat.sum(dtype=np.float64)) / n
    d = flat - flat.dtype.type(mean)
    stats = {"act_mean": mean, "act_std": float(np.sqrt(float(np.dot(d, d)) / n))}
    if isinstance(layer, _RELU_LIKE):
        alive = (Y.max(axis=_unit_axes(Y)) if Y.ndim > 1 else Y) > DEAD_AT
        stats["dead_frac"] = 1.0 - np.count_nonzero(alive) / alive.size
    elif isinstance(layer, layers.Sigmoid):
        stats["saturated_frac"] = np.count_nonzero((flat < SATURATED_AT) | (flat > 1 - SATURATED_AT)) / n
    elif isinstance(layer, layers.Tanh):
        stats["saturated_frac"] = np.count_nonzero(np.abs(flat) > 1 - SATURATED_AT) / n
    return stats
