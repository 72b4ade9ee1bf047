"""Synthetic sequence tasks drawn from the generator a config's ``data.seed``
seeds: the adding problem (regression) and parity (classification).

adding (Hochreiter & Schmidhuber 1997): each sample is (T, 2): a value channel
uniform in [0, 1) and a marker channel that is 1 at exactly two steps, one in
the first half and one in the second; the target is the sum of the two marked
values. Predicting the constant mean gives MSE = Var(target) = 1/6 ≈ 0.167 —
the baseline a recurrent net must beat by remembering across up to T steps.

parity: each sample is (T, 1) of random bits; the label is their sum mod 2.
"""
import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw

ADDING_BASELINE_MSE = 1.0 / 6.0   # variance of the sum of two U[0, 1) values


def _positive(name, key, v, least=1):
    if isinstance(v, bool) or not isinstance(v, int) or v < least:
        raise ConfigError(f"{name}: {key} must be an integer >= {least}, got {v!r}", ("data", key))


@DATASETS.register(name="adding")
def adding(n_samples=4000, length=50, rng=None):
    """Adding problem: X (n_samples, length, 2), y (n_samples, 1) float targets in [0, 2)."""
    _positive("adding", "n_samples", n_samples, 2)
    _positive("adding", "length", length, 2)
    values = rng.random((n_samples, length))
    half = length // 2
    first = rng.integers(0, half, n_samples)
    second = rng.integers(half, length, n_samples)
    marks = np.zeros((n_samples, length))
    rows = np.arange(n_samples)
    marks[rows, first] = marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return Raw(np.stack([values, marks], axis=2), y.reshape(-1, 1))


@DATASETS.register(name="parity")
def parity(n_samples=2000, length=8, rng=None):
    """Parity of ``length`` random bits: X (n_samples, length, 1) of 0/1, y in {0, 1}."""
    _positive("parity", "n_samples", n_samples, 2)
    _positive("parity", "length", length, 1)
    bits = rng.integers(0, 2, (n_samples, length))
    return Raw(bits[:, :, None].astype(np.float64), (bits.sum(1) % 2).astype(np.int64), classes=("even", "odd"))
