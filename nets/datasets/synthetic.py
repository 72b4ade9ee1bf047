"""Synthetic 2-D toy sets drawn from the generator a config's ``data.seed``
seeds: spirals, XOR and concentric circles."""
import math

import numpy as np

from ..config import ConfigError
from .base import DATASETS, Raw


def _positive(name, key, v):
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ConfigError(f"{name}: {key} must be a positive integer, got {v!r}", ("data", key))


def _nonneg(name, key, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
        raise ConfigError(f"{name}: {key} must be a number >= 0, got {v!r}", ("data", key))


@DATASETS.register(name="spirals")
def spirals(n_samples=600, classes=3, noise=0.2, turns=1.0, rng=None):
    """``classes`` interleaved 2-D spiral arms (CS231n's toy set), n_samples
    in all; points ``r·(sin t, cos t)`` with t = turns·4·r + 2πk/classes + noise·N(0,1)."""
    _positive("spirals", "n_samples", n_samples), _positive("spirals", "classes", classes)
    _nonneg("spirals", "noise", noise), _nonneg("spirals", "turns", turns)
    y = np.arange(n_samples) % classes
    r = rng.random(n_samples)
    t = turns * 4.0 * r + 2.0 * math.pi * y / classes + noise * rng.standard_normal(n_samples)
    return Raw(np.stack([r * np.sin(t), r * np.cos(t)], axis=1), y.astype(np.int64))


@DATASETS.register(name="xor")
def xor(n_samples=400, noise=0.1, rng=None):
    """Points around the four corners (±1, ±1) with Gaussian noise; label 1
    where the signs differ (XOR), else 0."""
    _positive("xor", "n_samples", n_samples), _nonneg("xor", "noise", noise)
    corners = rng.integers(0, 2, (n_samples, 2))
    X = (2.0 * corners - 1.0) + noise * rng.standard_normal((n_samples, 2))
    return Raw(X, (corners[:, 0] ^ corners[:, 1]).astype(np.int64))


@DATASETS.register(name="circles")
def circles(n_samples=400, noise=0.05, factor=0.5, rng=None):
    """Two concentric circles (radius 1: label 0, radius ``factor``: label 1) plus noise."""
    _positive("circles", "n_samples", n_samples), _nonneg("circles", "noise", noise)
    if not (isinstance(factor, (int, float)) and 0 < factor < 1):
        raise ConfigError(f"circles: factor must be in (0, 1), got {factor!r}", ("data", "factor"))
    y = np.arange(n_samples) % 2
    t = rng.random(n_samples) * 2.0 * math.pi
    radius = np.where(y == 1, factor, 1.0)
    X = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1) + noise * rng.standard_normal((n_samples, 2))
    return Raw(X, y.astype(np.int64))
