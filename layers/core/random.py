"""The package-level random generator.

Every source of randomness in kubik (initialization, dropout masks,
shuffling) takes an explicit ``np.random.Generator``; when none is given it
draws from this one. ``seed(n)`` resets it, so a seeded run is reproducible
bit for bit, and a test can always put it back in a known state.
"""
import numpy as np

_generator = np.random.default_rng()


def seed(value=None) -> np.random.Generator:
    """Reset the package generator to ``np.random.default_rng(value)``; return it."""
    global _generator
    _generator = np.random.default_rng(value)
    return _generator


def get_rng(rng=None) -> np.random.Generator:
    """``rng`` itself if given (an int seeds a new generator), else the package generator."""
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng: expected None, an int seed or np.random.Generator, got {type(rng).__name__}")
