"""Inverted dropout: of elements (Dropout) and of whole channels (Dropout2d)."""
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
            raise ValueError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.rng = None if rng is None else get_rng(rng)

    def _mask_shape(self, X):
        return X.shape

    def forward(self, X):
        shape = self._mask_shape(X)
        self._shape = X.shape
        if not self.training or self.p == 0.0:
            self._M = None
            return X
        U = get_rng(self.rng).random(shape, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
        if self.p == 1.0:
            M = np.zeros_like(U)
        else:
            M = (U >= self.p).astype(X.dtype)
            M *= 1.0 / (1.0 - self.p)
        self._M = M
        return X * M

    def backward(self, G):
        shape = self._cached("_shape")
        if getattr(G, "shape", None) != shape:
            raise ValueError(f"{self!r}: grad_Y has shape {getattr(G, 'shape', None)}, expected {shape}")
        return G if self._M is None else G * self._M

    def extra_repr(self):
        return f"p={self.p}"


@register
class Dropout2d(Dropout):
    """Channel dropout, as torch.nn.Dropout2d: training: Y[n, c] = X[n, c] · M[n, c] with
    M = [U ≥ p] / (1 − p), U ~ U[0, 1) per sample and channel, so whole feature maps
    are zeroed (neighbouring pixels of a map are correlated: dropping single pixels
    regularizes them little); eval: Y = X. Backward: dX = G ⊙ M (the same mask).
    Inputs (N, C, H, W). p and rng as Dropout's.
    """

    def _mask_shape(self, X):
        if X.ndim != 4:
            raise self._shape_error("(N, C, H, W)", X)
        return X.shape[:2] + (1, 1)

    def output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise self._shape_error("(C, H, W) per sample", tuple(input_shape))
        return tuple(input_shape)
