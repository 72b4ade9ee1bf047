"""Inputs: the samples of a net with several inputs (a Graph with ``inputs:
[x1, x2]``), as one object that indexes like an array.

    X = nets.Inputs((X1, X2), names=("x1", "x2"))
    len(X)          # the number of samples (every array has them on axis 0)
    X[idx]          # Inputs of X1[idx], X2[idx]: batches, splits and shuffles need nothing else
    X.arrays        # (X1, X2), passed to ``net.forward(*X.arrays)``
    X.shapes        # per-sample shapes [(1, 8, 8), (1, 8, 8)]

``DataLoader``, ``nets.fit``, ``evaluate`` and ``predict`` take a tuple of input
arrays and make it an Inputs; data sets with several inputs (``digits_pairs``,
an npz with ``inputs: [x1, x2]``) return one. ``as_args(X)`` is what a forward
call spreads: ``X.arrays`` for Inputs, ``(X,)`` for one array.
"""
import numpy as np


class Inputs:
    """Several input arrays sharing the sample axis (see the module docstring).
    ``names`` default to x0, x1, ..."""

    __slots__ = ("arrays", "names")

    def __init__(self, arrays, names=None):
        arrays = tuple(np.asarray(a) for a in arrays)
        if not arrays:
            raise ValueError("Inputs: needs at least one array")
        if any(a.ndim < 1 for a in arrays):
            raise TypeError("Inputs: every input must be an array with a leading sample axis")
        counts = [len(a) for a in arrays]
        names = tuple(f"x{i}" for i in range(len(arrays))) if names is None else tuple(str(n) for n in names)
        if len(names) != len(arrays):
            raise ValueError(f"Inputs: {len(arrays)} arrays but {len(names)} names {list(names)}")
        if len(set(counts)) != 1:
            listed = ", ".join(f"{n} has {c}" for n, c in zip(names, counts))
            raise ValueError(f"Inputs: every input needs the same number of samples; {listed}")
        self.arrays, self.names = arrays, names

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return Inputs(tuple(a[index] for a in self.arrays), self.names)

    @property
    def shapes(self):
        """The per-sample shape of each input."""
        return [tuple(a.shape[1:]) for a in self.arrays]

    @property
    def ndim(self):
        """1 + the fewest per-sample axes of any input (at least 1: the sample axis)."""
        return 1 + min(len(s) for s in self.shapes)

    @property
    def dtype(self):
        """The first input's dtype."""
        return self.arrays[0].dtype

    @property
    def nbytes(self):
        """Bytes of all the arrays."""
        return sum(a.nbytes for a in self.arrays)

    def astype(self, dtype):
        """Every array converted to ``dtype`` (a new Inputs, the same names)."""
        return Inputs(tuple(a.astype(dtype) for a in self.arrays), self.names)

    def select(self, names):
        """These inputs in the order of ``names`` (a graph's ``inputs``); ValueError naming what is missing."""
        missing = [n for n in names if n not in self.names]
        if missing or len(names) != len(self.names):
            raise ValueError(f"the graph's inputs {list(names)} must be the data's inputs {list(self.names)}"
                             + (f" (missing: {', '.join(missing)})" if missing else ""))
        return Inputs(tuple(self.arrays[self.names.index(n)] for n in names), tuple(names))

    def __repr__(self):
        parts = ", ".join(f"{n} {a.shape} {a.dtype}" for n, a in zip(self.names, self.arrays))
        return f"Inputs({parts})"


def as_inputs(X, names=None):
    """A tuple of arrays as Inputs (named ``names``, e.g. a graph's inputs, when they are
    as many); anything else as it is."""
    if isinstance(X, tuple) and X and all(hasattr(a, "shape") for a in X):
        return Inputs(X, names if names is not None and len(names) == len(X) else None)
    return X


def as_args(X):
    """The positional arguments of ``net.forward`` for samples ``X``."""
    return X.arrays if isinstance(X, Inputs) else (X,)


def forward(net, X):
    """``net.forward`` of samples ``X`` (one array, or Inputs spread over the net's inputs)."""
    return net.forward(*X.arrays) if isinstance(X, Inputs) else net.forward(X)


def concat_outputs(parts):
    """Batches of outputs joined along the samples (a tuple per batch for several outputs)."""
    if isinstance(parts[0], tuple):
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))
    return np.concatenate(parts)
