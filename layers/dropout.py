"""Inverted dropout."""
import numpy as np

from .core.layer import Layer
from .core.random import get_rng
from .core.registry import register


@register
class Dropout(Layer):
    """Training: Y = X ⊙ M with M = [U ≥ p] / (1 − p), U ~ U[0, 1) per element;
    eval: Y = X. Backward: dX = G ⊙ M (the same mask).

    p -- probability of zeroing an element, in [0, 1].

    rng -- np.random.Generator (or seed) for the masks; by default the
           package generator at the time of each forward.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.rng = None if rng is None else get_rng(rng)

    def forward(self, X):
        if not self.training or self.p == 0.0:
            self._M = None
            self._eval_shape = X.shape
            return X
        U = get_rng(self.rng).random(X.shape, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        if self.p == 1.0:
            M = np.zeros_like(U)
        else:
            M = (U >= self.p).astype(X.dtype)
            M *= 1.0 / (1.0 - self.p)
        self._M = M
        return X * M

    def backward(self, G):
        if getattr(self, "_M", None) is None:
            self._cached("_eval_shape")
            return G
        return G * self._M

    def extra_repr(self):
        return f"p={self.p}"
