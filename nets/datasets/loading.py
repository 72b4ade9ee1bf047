"""``load(name, split="train", **loader_args)``: the raw samples of a
registered data set, for use without a config.

    X, y = nets.datasets.load("digits")                    # every sample: (1797, 64) floats, (1797,) labels
    X, y = nets.datasets.load("digits", image=True)        # (1797, 1, 8, 8)
    X, y = nets.datasets.load("spirals", seed=0)           # synthetic sets are drawn from ``seed``
    X_test, y_test = nets.datasets.load("mnist", split="test", path="data/mnist")

The result unpacks as ``(X, y)`` and also has ``.X``, ``.y``, ``.classes``
and, for split "train", ``.X_test`` / ``.y_test`` (None unless the set has
its own test split). Nothing is split off, scaled or converted: that is what
a config's ``data`` section adds (see ``prepare``). ``seed`` is a config's
``data.seed``: the same seed gives the same synthetic samples as a config.
"""
import inspect

import numpy as np

from ..config import ConfigError
from .base import DATASETS

SPLITS = ("train", "test")


class Samples(tuple):
    """``(X, y)`` with ``.X``, ``.y``, ``.X_test``, ``.y_test``, ``.classes``."""

    def __new__(cls, X, y, X_test=None, y_test=None, classes=None):
        self = super().__new__(cls, (X, y))
        self.X, self.y, self.X_test, self.y_test, self.classes = X, y, X_test, y_test, classes
        return self


def _loader_args(loader, name, kwargs):
    params = inspect.signature(loader).parameters
    known = [p for p in params if p != "rng"]
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise TypeError(f"data set '{name}': unknown argument {unknown[0]!r}; known: {', '.join(known) or 'none'}")
    return "rng" in params


def load(name, split="train", *, seed=0, rng=None, **loader_args):
    """The samples of data set ``name`` (see DATASETS / ``kubik layers``) as ``(X, y)``.
    split: "train" (every sample of a set without its own test split) or "test" (the set's own
    test split; ValueError for a set that has none). ``rng`` (a Generator) overrides ``seed``."""
    if split not in SPLITS:
        raise ValueError(f"load: split must be 'train' or 'test', got {split!r}")
    loader = DATASETS.get(name)
    if _loader_args(loader, name, loader_args):
        loader_args["rng"] = rng if rng is not None else np.random.default_rng([int(seed), 2])
    raw = loader(**loader_args)
    if split == "test":
        if raw.X_test is None:
            raise ValueError(f"load: data set '{name}' has no test split of its own; take one from its samples "
                             f"(nets.datasets.split_indices)")
        return Samples(raw.X_test, raw.y_test, classes=raw.classes)
    return Samples(raw.X, raw.y, raw.X_test, raw.y_test, raw.classes)


def load_raw(name, rng=None, **kwargs):
    """The loader's Raw record (arguments already checked by the config): what ``prepare`` uses.
    A loader that cannot use its arguments (a huge size, no memory) is a ConfigError at ``data``."""
    loader = DATASETS.get(name)
    if "rng" in inspect.signature(loader).parameters:
        kwargs["rng"] = rng if rng is not None else np.random.default_rng(0)
    try:
        return loader(**kwargs)
    except ConfigError:
        raise
    except MemoryError:
        raise ConfigError(f"the {name} data set with these arguments does not fit in memory", ("data",)) from None
    except (ValueError, TypeError, OverflowError) as e:   # an argument the loader cannot use (e.g. a huge size)
        raise ConfigError(f"the {name} loader cannot use these arguments: {str(e)[:160]}", ("data",)) from None
