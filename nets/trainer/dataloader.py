"""DataLoader: mini-batches of arrays along their first axis, in a seeded
order that changes every epoch, with a state that saves and loads so a run
resumes at the exact batch it stopped at.

    loader = nets.DataLoader(X, y, batch_size=32, shuffle=True, rng=0)
    for X_batch, y_batch in loader:   # one epoch; len(loader) batches
        ...

X may be a tuple of arrays (or an Inputs): the inputs of a net with several,
batched together (``X_batch`` is then an Inputs; ``net.forward(*X_batch.arrays)``).

An epoch's order is ``rng.permutation(n)`` (shuffle) or ``arange(n)``, drawn
when the epoch starts; batch ``b`` holds ``order[b·bs : (b+1)·bs]``; the last
batch is short unless ``drop_last``. Batches are copies (``X[indices]``), so
changing one never changes the data.

The loader is a cursor over epochs: it remembers the epoch's order and how
many batches were handed out, and iterating again after a ``break``
continues that epoch (a finished epoch starts the next one). ``state_dict()``
/ ``load_state_dict()`` hold that order, position, the epoch count and the
generator's state.

``augment`` (a list of nets.augment transforms, or an Augment) transforms each
batch's X as it is handed out, drawing from the same generator after the
epoch's order: a run is reproducible bit for bit, and a loader restored from
``state_dict()`` continues the very stream (the generator's state is saved
between batches). When y is X itself (a net whose target is its input), the
transforms that move pixels move the target batch too; noise and cutout
change the input alone (a denoising autoencoder). Only the training loader
gets transforms: validation, test and predicted data never do.
"""
import numpy as np

from ...layers import get_rng
from ..augment import Augment

from ..datasets.inputs import Inputs, as_inputs

from .inputs import check_numbers


def _check_rows(X, y, name):
    if not isinstance(X, Inputs) and (not hasattr(X, "shape") or X.ndim < 1):
        raise TypeError(f"{name}: X must be an array with a leading sample axis, got {type(X).__name__}")
    if y is not None and (not hasattr(y, "shape") or y.ndim < 1):
        raise TypeError(f"{name}: y must be an array with a leading sample axis, got {type(y).__name__}")
    if y is not None and len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} samples but y has {len(y)}; they must have the same length")


class DataLoader:
    """Batches ``(X[idx], y[idx])`` (``X[idx]`` alone when ``y`` is None).

    rng: a np.random.Generator, an int seed, or None for a generator seeded
    from the package generator (``layers.seed``) when the loader is made.
    augment: transforms applied to each batch's X (see the module docstring).
    X and y are checked once, here (nets.trainer.inputs): numbers, no NaN or
    inf, a ragged list refused; ``name`` words the errors (nets.fit passes its own).
    """

    def __init__(self, X, y=None, batch_size=32, shuffle=False, drop_last=False, rng=None, augment=None,
                 name="DataLoader"):
        X = as_inputs(X)            # a tuple of arrays: the inputs of a net with several
        sep = " " if ":" in name else ": "           # 'DataLoader: X', 'fit: train X'
        X = check_numbers(X, f"{name}{sep}X")
        y = None if y is None else check_numbers(y, f"{name}{sep}y")
        _check_rows(X, y, name)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an integer >= 1, got {batch_size!r}")
        if drop_last and len(X) < batch_size:
            raise ValueError(f"DataLoader: batch_size {batch_size} is larger than the {len(X)} samples and "
                             f"drop_last is on, so there is no batch at all")
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        if rng is None:
            rng = np.random.default_rng(get_rng().integers(2 ** 63))
        self.rng = get_rng(rng)
        self.epoch, self.pos, self.order = 0, 0, None
        self.augment = Augment(augment or ())
        if self.augment and isinstance(X, Inputs):
            raise ValueError(f"DataLoader: augment transforms one input array; these data have {len(X.arrays)} "
                             f"inputs ({', '.join(X.names)})")
        if self.augment:
            try:
                self.augment.check(X.shape[1:])
            except ValueError as e:
                raise ValueError(f"DataLoader: {e}") from None

    @property
    def num_samples(self):
        """The number of samples (rows of X)."""
        return len(self.X)

    def __len__(self):
        """The number of batches of an epoch."""
        n, bs = len(self.X), self.batch_size
        return n // bs if self.drop_last else -(-n // bs)

    def batch_indices(self, b):
        """The sample indices of batch ``b`` of the current epoch (its order drawn if needed)."""
        if self.order is None:
            self.order = self.rng.permutation(len(self.X)) if self.shuffle else np.arange(len(self.X))
        return self.order[b * self.batch_size:(b + 1) * self.batch_size]

    def __iter__(self):
        nb = len(self)
        while self.pos < nb:
            idx = self.batch_indices(self.pos)
            self.pos += 1
            yield self._batch(idx)
        self.epoch, self.pos, self.order = self.epoch + 1, 0, None

    def _batch(self, idx):
        X = self.X[idx]                          # a copy: transforms may change it in place
        if not self.augment:
            return X if self.y is None else (X, self.y[idx])
        if self.y is self.X:                     # the target is the input: pixels move together
            return self.augment(X, self.rng, target=self.X[idx])
        X = self.augment(X, self.rng)
        return X if self.y is None else (X, self.y[idx])

    def state_dict(self):
        """epoch, pos (batches handed out this epoch), order (None before the epoch starts), rng state."""
        return {"epoch": self.epoch, "pos": self.pos,
                "order": None if self.order is None else self.order.copy(),
                "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        """Continue from ``state_dict()``'s output; ValueError if it does not fit these data."""
        order, pos, n = state.get("order"), state.get("pos", 0), len(self.X)
        if order is not None:
            order = np.asarray(order)
            if order.ndim != 1 or order.dtype.kind not in "iu" or len(order) != n or (
                    n and (order.min() < 0 or order.max() >= n)):
                raise ValueError(f"DataLoader: the saved order must be {n} sample indices in [0, {n}), got "
                                 f"shape {order.shape} {order.dtype}")
        if isinstance(pos, bool) or not isinstance(pos, (int, np.integer)) or not 0 <= pos <= len(self):
            raise ValueError(f"DataLoader: the saved position must be an integer in [0, {len(self)}], got {pos!r}")
        self.order, self.pos = order, int(pos)
        self.epoch = int(state.get("epoch", self.epoch))
        if state.get("rng") is not None:
            self.rng.bit_generator.state = state["rng"]

    def __repr__(self):
        aug = f", augment={self.augment.transforms!r}" if self.augment else ""
        return (f"DataLoader({len(self.X)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, {len(self)} batches{aug})")
